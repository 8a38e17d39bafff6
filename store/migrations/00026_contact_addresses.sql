-- +goose Up
-- A resident's or a member of staff's address on a notification channel
-- that has no column of its own (email and phone have theirs): a WeChat
-- openid, a 企业微信 user id. Keyed by the channel's name
-- (notify.Channel.Name), so a new channel needs no migration: its
-- addresses are rows here, and store.OutboundByKey hands them over with
-- the others.
CREATE TABLE contact_addresses (
    id          bigserial PRIMARY KEY,
    resident_id bigint REFERENCES residents(id) ON DELETE CASCADE,
    staff_code  text REFERENCES staff(code) ON DELETE CASCADE,
    channel     text NOT NULL CHECK (channel ~ '^[a-z0-9_]{1,32}$'),
    address     text NOT NULL CHECK (address <> '' AND length(address) <= 320),
    CHECK ((resident_id IS NULL) <> (staff_code IS NULL))
);
CREATE UNIQUE INDEX contact_addresses_resident ON contact_addresses (resident_id, channel) WHERE resident_id IS NOT NULL;
CREATE UNIQUE INDEX contact_addresses_staff ON contact_addresses (staff_code, channel) WHERE staff_code IS NOT NULL;

-- +goose Down
DROP TABLE contact_addresses;
