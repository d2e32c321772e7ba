-- A mail sent or abandoned loses its body, which held its invitation
-- link or email-change code and which nothing reads again (FinishMail
-- drops it from now on); this drops the bodies that earlier versions kept.
UPDATE mail_outbox SET doc = (doc::jsonb - 'Text' - 'HTML' - 'Sealed')::json WHERE status IN ('sent', 'abandoned');
