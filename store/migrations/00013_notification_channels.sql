-- +goose Up
-- The channel a message went on is the name its sender gives
-- (notify.Sender.Channel), so a new channel (WeChat, 企业微信) needs no
-- migration of the outbox: any short lower-case name is accepted, '' while
-- none has been tried.
ALTER TABLE notifications DROP CONSTRAINT notifications_channel_check;
ALTER TABLE notifications ADD CONSTRAINT notifications_channel_check CHECK (channel ~ '^[a-z0-9_]{0,32}$');

-- +goose Down
ALTER TABLE notifications DROP CONSTRAINT notifications_channel_check;
ALTER TABLE notifications ADD CONSTRAINT notifications_channel_check CHECK (channel IN ('', 'email', 'sms'));
