-- A mail sent or abandoned loses its body, which held its invitation
-- link or email-change code and which nothing reads again (FinishMail
-- drops it from now on); this drops the bodies that earlier versions kept.
UPDATE mail_outbox SET doc = json_remove(doc, '$.Text', '$.HTML', '$.Sealed') WHERE status IN ('sent', 'abandoned');
