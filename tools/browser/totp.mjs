// SPDX-License-Identifier: Apache-2.0
//
// The authenticator app of the browser scripts that sign in with a
// second factor (pages.mjs, the console's scripts through console-kit.mjs).
import { createHmac } from "node:crypto";

// totp is the RFC 6238 code (SHA-1, 30 s, 6 digits) of a base32 secret
// for a time step.
function totp(secret, step) {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  let bits = "";
  for (const ch of secret.replace(/=+$/, "").toUpperCase()) bits += alphabet.indexOf(ch).toString(2).padStart(5, "0");
  const key = Buffer.from(bits.match(/.{8}/g).map((b) => parseInt(b, 2)));
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(step));
  const mac = createHmac("sha1", key).update(counter).digest();
  const off = mac[mac.length - 1] & 0xf;
  return String((mac.readUInt32BE(off) & 0x7fffffff) % 1e6).padStart(6, "0");
}

// authenticator returns freshCode(), which gives a code of the secret
// for a time step not used yet: Roster takes each step once (enrolment
// used usedStep, the newest step whose code was sent) and one step
// either side of its clock, so a step ahead may have to wait a little.
export function authenticator(secret, usedStep) {
  return async function freshCode() {
    const now = () => Math.floor(Date.now() / 30000);
    const step = Math.max(usedStep + 1, now());
    while (step > now() + 1) await new Promise((r) => setTimeout(r, 500));
    usedStep = step;
    return totp(secret, step);
  };
}
