-- Cases sent to the 12345 centre (issue 29): one row a case transferred while
-- the connector was configured. The document itself is the outbox message's
-- body (notifications, channel hotline_12345), so it is sent with the outbox's
-- retries and listed with its failures; this row is where 12345's side stands.
CREATE TABLE transfers_12345 (
    work_order_id   BIGINT PRIMARY KEY REFERENCES work_orders (id),
    notification_id BIGINT NOT NULL REFERENCES notifications (id),
    -- domain::hotline_12345::TransferStatus
    status          TEXT NOT NULL,
    -- 12345's own number of the case, once it gave one.
    ticket          TEXT,
    queued_at       BIGINT NOT NULL,
    delivered_at    BIGINT,
    -- The last news of it: queued, delivered, or a progress report from 12345.
    news_at         BIGINT NOT NULL,
    -- When supervisors were told it had gone quiet (cleared by news).
    flagged_at      BIGINT
);
CREATE UNIQUE INDEX transfers_12345_ticket ON transfers_12345 (ticket) WHERE ticket IS NOT NULL;
CREATE INDEX transfers_12345_news ON transfers_12345 (status, news_at);
