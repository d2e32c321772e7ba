// SPDX-License-Identifier: Apache-2.0

package service

import (
	"strconv"
	"time"
)

// dutchMonths are the months as Dutch writes them (lower case).
var dutchMonths = [...]string{"januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september", "oktober", "november", "december"}

// expiresTextIn writes a link's end as the mail's language writes dates.
func expiresTextIn(lang string, t time.Time) string {
	if lang != "nl" {
		return expiresText(t)
	}
	t = t.UTC()
	return strconv.Itoa(t.Day()) + " " + dutchMonths[t.Month()-1] + " " + t.Format("2006 15:04") + " UTC"
}

// resetMailTemplates are the password reset mail in each language of the
// pages (Languages).
var resetMailTemplates = map[string]mailTemplate{
	"en": newMailTemplate("Reset your {{.OrgName}} password",
		`Hello {{.Name}},

Someone asked to reset the password of your {{.OrgName}} account ({{.Username}}).
Choose a new password here:

{{.Link}}

The link works once and until {{.Expires}}. Setting a new password signs you out everywhere.
If you did not ask for this, ignore this mail: your password stays as it is.
`,
		`<p>Hello {{.Name}},</p><p>Someone asked to reset the password of your {{.OrgName}} account (<b>{{.Username}}</b>).</p>`+
			`<p><a href="{{.Link}}">Choose a new password</a></p><p>The link works once and until {{.Expires}}. Setting a new password signs you out everywhere.</p>`+
			`<p>If you did not ask for this, ignore this mail: your password stays as it is.</p>`),
	"nl": newMailTemplate("Stel je {{.OrgName}}-wachtwoord opnieuw in",
		`Hallo {{.Name}},

Iemand heeft gevraagd het wachtwoord van je {{.OrgName}}-account ({{.Username}}) opnieuw in te stellen.
Kies hier een nieuw wachtwoord:

{{.Link}}

De link werkt één keer en tot {{.Expires}}. Met een nieuw wachtwoord word je overal afgemeld.
Heb je dit niet gevraagd? Negeer dan deze mail: je wachtwoord blijft zoals het is.
`,
		`<p>Hallo {{.Name}},</p><p>Iemand heeft gevraagd het wachtwoord van je {{.OrgName}}-account (<b>{{.Username}}</b>) opnieuw in te stellen.</p>`+
			`<p><a href="{{.Link}}">Kies een nieuw wachtwoord</a></p><p>De link werkt één keer en tot {{.Expires}}. Met een nieuw wachtwoord word je overal afgemeld.</p>`+
			`<p>Heb je dit niet gevraagd? Negeer dan deze mail: je wachtwoord blijft zoals het is.</p>`),
}
