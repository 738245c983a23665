-- +goose Up
-- An organisation's admins manage its people and its tokens through the API.
GRANT INSERT ON app_user, api_token TO approdo_app;
GRANT UPDATE (revoked_at) ON api_token TO approdo_app;

-- +goose Down
REVOKE UPDATE (revoked_at) ON api_token FROM approdo_app;
REVOKE INSERT ON app_user, api_token FROM approdo_app;
