-- Undo 001_listings_rls: the table goes with its policy and grants (the authenticated role stays: other databases use it).
drop table listings;
