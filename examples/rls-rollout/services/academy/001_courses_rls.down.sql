-- Undo 001_courses_rls: the table goes with its policy and grants (the authenticated role stays: other databases use it).
drop table courses;
