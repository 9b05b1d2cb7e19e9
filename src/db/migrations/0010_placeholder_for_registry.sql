-- Placeholder: number 0010 belongs to the registry work merged alongside (organizations);
-- this branch needs it only so that 0011 is in sequence. Delete this file when merging
-- the real 0010.
SELECT 1;
