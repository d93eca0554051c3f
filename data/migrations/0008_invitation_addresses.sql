-- Issue 21: reminders without a list of who answered. An unused invitation may keep its person's
-- address and link, encrypted with the deployment's key (ICSAT_ADDRESS_KEY, Fernet; data/addresses.py),
-- so that reminders reach those who have not answered. The claim that marks the invitation used
-- (data/submissions.py) erases both columns in the same statement: a used invitation has no address,
-- so ICSAT never holds a list of who answered. last_reminded is a day, not a time: at most one
-- reminder a day per person.
ALTER TABLE invitations ADD COLUMN contact_enc VARCHAR;
ALTER TABLE invitations ADD COLUMN last_reminded DATE;
