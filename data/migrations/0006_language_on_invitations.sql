-- Issue 19: the survey's language for one person, from the roster's optional `language` column
-- ('en' or 'zh'; NULL: the browser's preferred language, else the wave's default, decides). It sits
-- on the invitation like the department, beside no identity. data/invitations.py admits only
-- 'en', 'zh' or NULL (DuckDB cannot add a CHECK to an existing table).
ALTER TABLE invitations ADD COLUMN language VARCHAR;
