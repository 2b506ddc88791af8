-- Text messages to enterprises (issue 29): the SMS centre's id of each message
-- and its delivery receipt, the numbers that asked for no more messages, the
-- templates admins edit, and the satisfaction surveys sent by SMS.

-- The SMS centre's message id (SMPP submit_sm_resp), to match its receipt.
ALTER TABLE notifications ADD COLUMN external_id TEXT;
-- The receipt's state (DELIVRD, UNDELIV, EXPIRED…) and when it came.
ALTER TABLE notifications ADD COLUMN receipt_state TEXT;
ALTER TABLE notifications ADD COLUMN receipt_at BIGINT;
CREATE INDEX notifications_external ON notifications (external_id);

-- 回复TD退订: a number here is sent nothing more.
CREATE TABLE sms_opt_outs (
    phone TEXT PRIMARY KEY,
    at    BIGINT NOT NULL,
    -- reply (an SMS reply), link (the survey page), agent
    how   TEXT NOT NULL
);

-- An admin's wording of a message kind (domain::sms::SmsKind); none: the default.
CREATE TABLE sms_templates (
    kind       TEXT PRIMARY KEY,
    text       TEXT NOT NULL,
    updated_by BIGINT NOT NULL REFERENCES users (id),
    updated_at BIGINT NOT NULL
);

-- A satisfaction survey sent by SMS: its link's token (kept as a SHA-256
-- digest), until when the enterprise may answer before the case goes to the
-- agents' phone follow-up, and the answer.
CREATE TABLE sms_surveys (
    token_hash    TEXT PRIMARY KEY,
    work_order_id BIGINT NOT NULL REFERENCES work_orders (id),
    -- The case's redo count when sent: each round of answers has its survey.
    round         BIGINT NOT NULL,
    sent_at       BIGINT NOT NULL,
    due_at        BIGINT NOT NULL,
    answered_at   BIGINT,
    rating        TEXT
);
CREATE UNIQUE INDEX sms_surveys_round ON sms_surveys (work_order_id, round);
CREATE INDEX sms_surveys_sent ON sms_surveys (sent_at);
