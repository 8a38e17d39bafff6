-- +goose Up
-- The communities a member of staff works in (docs/DESIGN.md §7.6). Roles
-- scoped to communities (and handlers and heads, whose department scope
-- lies within them) reach only these; a member with no row reaches no
-- community. Roles scoped to all communities ignore them.
CREATE TABLE staff_communities (
    staff_code     text NOT NULL REFERENCES staff(code),
    community_code text NOT NULL REFERENCES communities(code),
    PRIMARY KEY (staff_code, community_code)
);
CREATE INDEX staff_communities_community ON staff_communities (community_code);

-- Everyone on staff when scopes arrive keeps reaching what they reached.
INSERT INTO staff_communities (staff_code, community_code)
SELECT s.code, c.code FROM staff s CROSS JOIN communities c;

-- +goose Down
DROP TABLE staff_communities;
