// The SQLite schema, one migration a step (DESIGN.md "Data").
#include "store_sqlite/migrations.h"

namespace caduce::store_sqlite {

const std::vector<Migration>& Migrations() {
  static const std::vector<Migration> kAll = {
      {1, "directory", R"sql(
CREATE TABLE structures (
  id          INTEGER PRIMARY KEY,
  name        TEXT NOT NULL UNIQUE,
  id_type     TEXT NOT NULL DEFAULT '',
  id_value    TEXT NOT NULL DEFAULT '',
  mss_domain  TEXT NOT NULL DEFAULT '',
  created_at  INTEGER NOT NULL
);

-- One column per field of FIELDS.md (keys of directory/fields.cc), in stored form.
CREATE TABLE accounts (
  id                   INTEGER PRIMARY KEY,
  structure_id         INTEGER NOT NULL REFERENCES structures(id),
  type                 TEXT NOT NULL CHECK (type IN ('PER','INT','MED','ORG','APP')),
  address              TEXT NOT NULL UNIQUE,
  status               TEXT NOT NULL CHECK (status IN ('pending','active','disabled')),
  disabled_reason      TEXT NOT NULL DEFAULT '',
  visible_in_directory INTEGER NOT NULL DEFAULT 0,
  default_mailbox_id   INTEGER REFERENCES accounts(id),
  password_hash        TEXT,
  nom                  TEXT NOT NULL DEFAULT '',
  prenom               TEXT NOT NULL DEFAULT '',
  rpps                 TEXT NOT NULL DEFAULT '',
  adeli                TEXT NOT NULL DEFAULT '',
  raison_sociale       TEXT NOT NULL DEFAULT '',
  service              TEXT NOT NULL DEFAULT '',
  adresse_1            TEXT NOT NULL DEFAULT '',
  adresse_2            TEXT NOT NULL DEFAULT '',
  cp                   TEXT NOT NULL DEFAULT '',
  ville                TEXT NOT NULL DEFAULT '',
  departement          TEXT NOT NULL DEFAULT '',
  region               TEXT NOT NULL DEFAULT '',
  telephone_1          TEXT NOT NULL DEFAULT '',
  telephone_2          TEXT NOT NULL DEFAULT '',
  profession           TEXT NOT NULL DEFAULT '',
  specialite           TEXT NOT NULL DEFAULT '',
  diplome              TEXT NOT NULL DEFAULT '',
  activite_liberale    TEXT NOT NULL DEFAULT '',
  type_id_structure    TEXT NOT NULL DEFAULT '',
  id_structure         TEXT NOT NULL DEFAULT '',
  adresse_retour       TEXT NOT NULL DEFAULT '',
  nom_resp             TEXT NOT NULL DEFAULT '',
  prenom_resp          TEXT NOT NULL DEFAULT '',
  profession_resp      TEXT NOT NULL DEFAULT '',
  identifiant_resp     TEXT NOT NULL DEFAULT '',
  description          TEXT NOT NULL DEFAULT '',
  civilite_exercice    TEXT NOT NULL DEFAULT '',
  mss_address          TEXT NOT NULL DEFAULT '',
  apicrypt_address     TEXT NOT NULL DEFAULT '',
  apicrypt_specialite  TEXT NOT NULL DEFAULT '',
  date_peremption      TEXT NOT NULL DEFAULT '',
  alias                TEXT NOT NULL DEFAULT '',
  created_at           INTEGER NOT NULL,
  updated_at           INTEGER NOT NULL
);
CREATE INDEX accounts_by_structure ON accounts(structure_id, id);
CREATE INDEX accounts_by_mss ON accounts(mss_address) WHERE mss_address <> '';
CREATE INDEX accounts_by_expiry ON accounts(date_peremption)
  WHERE date_peremption <> '' AND status <> 'disabled';
CREATE INDEX accounts_by_default ON accounts(default_mailbox_id)
  WHERE default_mailbox_id IS NOT NULL;

-- Folded search terms (address, NOM, Prénom, "prénom nom", "nom prénom"). The
-- account's structure and directory flags are copied beside each term so that a
-- search filters while it walks one index, without a lookup per scanned term.
-- A derived table that the repository alone maintains (terms replaced on update by
-- their primary key): no foreign key and no index by account, which would cost
-- every account written in bulk five more lookups and five more index entries.
CREATE TABLE account_search (
  term         TEXT NOT NULL,
  account_id   INTEGER NOT NULL,
  structure_id INTEGER NOT NULL,
  visible      INTEGER NOT NULL,  -- accounts.visible_in_directory
  nominative   INTEGER NOT NULL,  -- 1 for PER, INT and MED
  PRIMARY KEY (term, account_id)
) WITHOUT ROWID;
-- Covering index of the per-structure search: (term, account_id) order and both flags.
CREATE INDEX account_search_by_structure
  ON account_search(structure_id, term, account_id, visible, nominative);

CREATE TABLE connection_rights (
  mailbox_id  INTEGER NOT NULL REFERENCES accounts(id),
  person_id   INTEGER NOT NULL REFERENCES accounts(id),
  created_at  INTEGER NOT NULL,
  created_by  TEXT NOT NULL,
  PRIMARY KEY (mailbox_id, person_id)
) WITHOUT ROWID;
CREATE INDEX connection_rights_by_person ON connection_rights(person_id, mailbox_id);

CREATE TABLE administrators (
  person_id    INTEGER NOT NULL REFERENCES accounts(id),
  structure_id INTEGER NOT NULL REFERENCES structures(id),
  PRIMARY KEY (person_id, structure_id)
) WITHOUT ROWID;
CREATE INDEX administrators_by_structure ON administrators(structure_id, person_id);

CREATE TABLE operators (
  person_id INTEGER PRIMARY KEY REFERENCES accounts(id)
);
)sql"},
      {2, "audit", R"sql(
-- The hash-chained trail (docs/formats/audit-chain.md). No foreign keys: the trail
-- outlives what it speaks of.
CREATE TABLE audit (
  seq              INTEGER PRIMARY KEY,
  at               INTEGER NOT NULL,
  actor_person_id  INTEGER NOT NULL DEFAULT 0,
  actor            TEXT NOT NULL,
  mailbox_id       INTEGER NOT NULL DEFAULT 0,
  action           TEXT NOT NULL,
  object           TEXT NOT NULL,
  ip               TEXT NOT NULL,
  detail           TEXT NOT NULL,
  prev_hash        BLOB NOT NULL,
  hash             BLOB NOT NULL
);
CREATE INDEX audit_by_mailbox ON audit(mailbox_id, seq) WHERE mailbox_id <> 0;
CREATE INDEX audit_by_actor ON audit(actor_person_id, seq) WHERE actor_person_id <> 0;
CREATE INDEX audit_by_time ON audit(at);
)sql"},
      {3, "notifications", R"sql(
-- Messages to send to an account (activation link, password reset): queued in the
-- transaction that decides them, sent and retried by the mail part.
CREATE TABLE notifications (
  id          INTEGER PRIMARY KEY,
  account_id  INTEGER NOT NULL REFERENCES accounts(id),
  kind        TEXT NOT NULL CHECK (kind IN ('activation', 'reset')),
  created_at  INTEGER NOT NULL,
  sent_at     INTEGER,
  attempts    INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX notifications_pending ON notifications(created_at) WHERE sent_at IS NULL;
CREATE INDEX notifications_by_account ON notifications(account_id);
)sql"},
      {4, "auth", R"sql(
-- Single-use links (activation, password reset). Only the BLAKE2b-256 hash of the
-- random token is kept: a copy of the database does not give working links.
CREATE TABLE tokens (
  hash        BLOB PRIMARY KEY,
  account_id  INTEGER NOT NULL REFERENCES accounts(id),
  purpose     TEXT NOT NULL CHECK (purpose IN ('activate', 'reset')),
  created_at  INTEGER NOT NULL,
  expires_at  INTEGER NOT NULL,
  used_at     INTEGER
) WITHOUT ROWID;
CREATE INDEX tokens_by_account ON tokens(account_id) WHERE used_at IS NULL;
CREATE INDEX tokens_by_expiry ON tokens(expires_at);

-- Signed-in sessions, shared by every process on the database; hash as for tokens.
-- mailbox_id is the mailbox the person currently acts in (itself or an ORG/APP).
CREATE TABLE sessions (
  hash        BLOB PRIMARY KEY,
  person_id   INTEGER NOT NULL REFERENCES accounts(id),
  mailbox_id  INTEGER NOT NULL REFERENCES accounts(id),
  created_at  INTEGER NOT NULL,
  last_seen   INTEGER NOT NULL,
  ip          TEXT NOT NULL DEFAULT '',
  user_agent  TEXT NOT NULL DEFAULT ''
) WITHOUT ROWID;
CREATE INDEX sessions_by_person ON sessions(person_id);
CREATE INDEX sessions_by_last_seen ON sessions(last_seen);

-- Failed sign-ins, per typed address ('account') and per remote address ('ip'),
-- counted over a sliding window to slow down guessing. No foreign key: an unknown
-- address is throttled exactly like a known one.
CREATE TABLE sign_in_failures (
  scope  TEXT NOT NULL CHECK (scope IN ('account', 'ip')),
  key    TEXT NOT NULL,
  at     INTEGER NOT NULL
);
CREATE INDEX sign_in_failures_by_key ON sign_in_failures(scope, key, at);
CREATE INDEX sign_in_failures_by_time ON sign_in_failures(at);

-- Temporary locks set after too many failures (also recorded as auth.locked).
CREATE TABLE sign_in_locks (
  scope         TEXT NOT NULL CHECK (scope IN ('account', 'ip')),
  key           TEXT NOT NULL,
  locked_at     INTEGER NOT NULL,
  locked_until  INTEGER NOT NULL,
  PRIMARY KEY (scope, key)
) WITHOUT ROWID;
)sql"},
      {5, "mail_queue", R"sql(
-- The mail queue (notify/): each intent's state, attempts, next attempt and last
-- error. Only the intent is stored; its link token is issued at each attempt.
ALTER TABLE notifications ADD COLUMN state TEXT NOT NULL DEFAULT 'pending'
  CHECK (state IN ('pending', 'sent', 'failed', 'cancelled'));
ALTER TABLE notifications ADD COLUMN next_attempt_at INTEGER NOT NULL DEFAULT 0;
ALTER TABLE notifications ADD COLUMN last_error TEXT NOT NULL DEFAULT '';
ALTER TABLE notifications ADD COLUMN failed_at INTEGER;
UPDATE notifications SET state = 'sent' WHERE sent_at IS NOT NULL;
CREATE INDEX notifications_due ON notifications(next_attempt_at) WHERE state = 'pending';
CREATE INDEX notifications_by_state ON notifications(state, id);

-- « Mot de passe oublié ? » requests per remote address (a bound on the mails one
-- client can cause). No foreign key: unknown addresses count the same.
CREATE TABLE password_reset_requests (
  ip  TEXT NOT NULL,
  at  INTEGER NOT NULL
);
CREATE INDEX password_reset_requests_by_ip ON password_reset_requests(ip, at);
CREATE INDEX password_reset_requests_by_time ON password_reset_requests(at);
)sql"},
      {6, "account_list", R"sql(
-- The administration list (GET /api/structures/{sid}/accounts): the last sign-in
-- of each person, kept by a trigger on each new session (auth/ writes sessions,
-- not accounts), and the sort keys of one structure's accounts.
ALTER TABLE accounts ADD COLUMN last_sign_in INTEGER;
UPDATE accounts SET last_sign_in =
  (SELECT max(created_at) FROM sessions WHERE sessions.person_id = accounts.id);
CREATE TRIGGER sessions_last_sign_in AFTER INSERT ON sessions BEGIN
  UPDATE accounts SET last_sign_in = NEW.created_at WHERE id = NEW.person_id;
END;
CREATE INDEX accounts_by_structure_address ON accounts(structure_id, address);
CREATE INDEX accounts_by_structure_nom ON accounts(structure_id, nom, prenom, id);
CREATE INDEX accounts_by_structure_sign_in ON accounts(structure_id, last_sign_in, id);
)sql"},
      {7, "mail_store", R"sql(
-- The mail store (mail/, store_sqlite/mail_repo.cc). Each account has a modification
-- sequence (its JMAP state); every mailbox, thread and message row keeps the
-- sequence of its creation and of its last change, and a destroyed one leaves a
-- tombstone, so that "changes since S" is one range read per table. No foreign keys
-- to accounts: messages are looked up by account id on every path.
CREATE TABLE mail_accounts (
  account_id      INTEGER PRIMARY KEY,
  modseq          INTEGER NOT NULL DEFAULT 0,
  oldest_state    INTEGER NOT NULL DEFAULT 0,
  used_bytes      INTEGER NOT NULL DEFAULT 0,
  quota_bytes     INTEGER NOT NULL DEFAULT 0,
  seen_per_person INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE mailboxes (
  id             INTEGER PRIMARY KEY,
  account_id     INTEGER NOT NULL,
  parent_id      INTEGER NOT NULL DEFAULT 0,
  name           TEXT NOT NULL,
  role           TEXT NOT NULL DEFAULT '',
  sort_order     INTEGER NOT NULL DEFAULT 0,
  total_emails   INTEGER NOT NULL DEFAULT 0,
  created_modseq INTEGER NOT NULL,
  modseq         INTEGER NOT NULL
);
CREATE UNIQUE INDEX mailboxes_by_name ON mailboxes(account_id, parent_id, name COLLATE NOCASE);
CREATE INDEX mailboxes_by_modseq ON mailboxes(account_id, modseq);
CREATE TABLE mail_threads (
  id             INTEGER PRIMARY KEY,
  account_id     INTEGER NOT NULL,
  created_modseq INTEGER NOT NULL,
  modseq         INTEGER NOT NULL
);
CREATE INDEX mail_threads_by_modseq ON mail_threads(account_id, modseq);
-- meta: JSON with the addresses, In-Reply-To, References and attachments.
CREATE TABLE emails (
  id             INTEGER PRIMARY KEY,
  account_id     INTEGER NOT NULL,
  thread_id      INTEGER NOT NULL,
  blob_id        TEXT NOT NULL,
  size           INTEGER NOT NULL,
  received_at    INTEGER NOT NULL,
  sent_at        INTEGER,
  message_id     TEXT NOT NULL DEFAULT '',
  subject        TEXT NOT NULL DEFAULT '',
  base_subject   TEXT NOT NULL DEFAULT '',
  has_attachment INTEGER NOT NULL DEFAULT 0,
  preview        TEXT NOT NULL DEFAULT '',
  meta           TEXT NOT NULL DEFAULT '{}',
  keywords       INTEGER NOT NULL DEFAULT 0,
  created_modseq INTEGER NOT NULL,
  modseq         INTEGER NOT NULL
);
CREATE INDEX emails_by_account_date ON emails(account_id, received_at, id);
CREATE INDEX emails_by_modseq ON emails(account_id, modseq);
CREATE INDEX emails_by_thread ON emails(thread_id, received_at);
-- Membership (a message may be in several mailboxes), ordered for the mailbox list.
CREATE TABLE email_mailboxes (
  mailbox_id  INTEGER NOT NULL,
  received_at INTEGER NOT NULL,
  email_id    INTEGER NOT NULL,
  PRIMARY KEY (mailbox_id, received_at, email_id)
) WITHOUT ROWID;
CREATE INDEX email_mailboxes_by_email ON email_mailboxes(email_id);
-- $seen per person, for ORG/APP accounts whose read state is per person.
CREATE TABLE email_seen (
  email_id  INTEGER NOT NULL,
  person_id INTEGER NOT NULL,
  PRIMARY KEY (email_id, person_id)
) WITHOUT ROWID;
-- Message-IDs a message has or refers to (threading).
CREATE TABLE email_thread_ids (
  account_id INTEGER NOT NULL,
  msgid      TEXT NOT NULL,
  email_id   INTEGER NOT NULL
);
CREATE INDEX email_thread_ids_by_msgid ON email_thread_ids(account_id, msgid);
CREATE INDEX email_thread_ids_by_email ON email_thread_ids(email_id);
CREATE TABLE mail_tombstones (
  account_id     INTEGER NOT NULL,
  type           INTEGER NOT NULL,
  modseq         INTEGER NOT NULL,
  object_id      INTEGER NOT NULL,
  created_modseq INTEGER NOT NULL,
  PRIMARY KEY (account_id, type, modseq, object_id)
) WITHOUT ROWID;
-- Reference counts of the blob files (<blob root>/ab/cd/<id>); refs = 0: collectable.
CREATE TABLE mail_blobs (
  id   TEXT PRIMARY KEY,
  size INTEGER NOT NULL,
  refs INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX mail_blobs_unreferenced ON mail_blobs(refs) WHERE refs = 0;
-- Recipients outside caduce, for the SMTP delivery.
CREATE TABLE mail_outbound (
  id              INTEGER PRIMARY KEY,
  blob_id         TEXT NOT NULL,
  mail_from       TEXT NOT NULL,
  rcpt_to         TEXT NOT NULL,
  state           TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'sent', 'failed')),
  created_at      INTEGER NOT NULL,
  next_attempt_at INTEGER NOT NULL DEFAULT 0,
  last_error      TEXT NOT NULL DEFAULT ''
);
CREATE INDEX mail_outbound_due ON mail_outbound(next_attempt_at) WHERE state = 'pending';
-- Who did what to a message of an ORG/APP mailbox (mirrors its audit entries).
CREATE TABLE email_actions (
  id        INTEGER PRIMARY KEY,
  email_id  INTEGER NOT NULL,
  at        INTEGER NOT NULL,
  person_id INTEGER NOT NULL,
  person    TEXT NOT NULL,
  action    TEXT NOT NULL,
  audit_seq INTEGER NOT NULL
);
CREATE INDEX email_actions_by_email ON email_actions(email_id, id);
CREATE VIRTUAL TABLE email_fts USING fts5(subject, sender, recipients, body,
  tokenize = 'unicode61 remove_diacritics 2');
-- Delivery to an alias (« Alias », addresses separated by ';').
CREATE INDEX accounts_by_alias ON accounts(alias) WHERE alias <> '';
)sql"},
      {8, "account_list_fast", R"sql(
-- The administration list at 100,000 accounts (bench/bench_admin_api.cc): every
-- sort key gets an index that also holds type and status, so that a sorted page
-- with filters walks one index without reading rows, and the total of a list
-- without search is read from exact per-structure counts kept by triggers.
DROP INDEX accounts_by_structure;
CREATE INDEX accounts_by_structure ON accounts(structure_id, id, type, status);
DROP INDEX accounts_by_structure_address;
CREATE INDEX accounts_by_structure_address ON accounts(structure_id, address, type, status);
DROP INDEX accounts_by_structure_nom;
CREATE INDEX accounts_by_structure_nom ON accounts(structure_id, nom, prenom, id, type, status);
DROP INDEX accounts_by_structure_sign_in;
CREATE INDEX accounts_by_structure_sign_in
  ON accounts(structure_id, last_sign_in, id, type, status);
CREATE INDEX accounts_by_structure_type ON accounts(structure_id, type, address, status);
CREATE INDEX accounts_by_structure_status ON accounts(structure_id, status, address, type);
CREATE TABLE account_counts (
  structure_id INTEGER NOT NULL,
  type         TEXT NOT NULL,
  status       TEXT NOT NULL,
  n            INTEGER NOT NULL,
  PRIMARY KEY (structure_id, type, status)
) WITHOUT ROWID;
INSERT INTO account_counts (structure_id, type, status, n)
  SELECT structure_id, type, status, count(*) FROM accounts GROUP BY 1, 2, 3;
CREATE TRIGGER account_counts_insert AFTER INSERT ON accounts BEGIN
  INSERT INTO account_counts (structure_id, type, status, n)
    VALUES (NEW.structure_id, NEW.type, NEW.status, 1)
    ON CONFLICT (structure_id, type, status) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER account_counts_delete AFTER DELETE ON accounts BEGIN
  UPDATE account_counts SET n = n - 1
    WHERE structure_id = OLD.structure_id AND type = OLD.type AND status = OLD.status;
END;
CREATE TRIGGER account_counts_update AFTER UPDATE OF structure_id, type, status ON accounts
  WHEN OLD.structure_id <> NEW.structure_id OR OLD.type <> NEW.type OR OLD.status <> NEW.status
BEGIN
  UPDATE account_counts SET n = n - 1
    WHERE structure_id = OLD.structure_id AND type = OLD.type AND status = OLD.status;
  INSERT INTO account_counts (structure_id, type, status, n)
    VALUES (NEW.structure_id, NEW.type, NEW.status, 1)
    ON CONFLICT (structure_id, type, status) DO UPDATE SET n = n + 1;
END;
)sql"},
      {9, "access_tokens", R"sql(
-- Personal access tokens of persons for mail clients (auth/access_tokens.h).
-- Only the BLAKE2b-256 hash of the token's random bytes is kept. Times in
-- microseconds; 0 means never (no expiry, not used yet, not revoked).
CREATE TABLE access_tokens (
  id                  INTEGER PRIMARY KEY,
  hash                BLOB NOT NULL UNIQUE,
  person_id           INTEGER NOT NULL REFERENCES accounts(id),
  name                TEXT NOT NULL,
  created_at          INTEGER NOT NULL,
  expires_at          INTEGER NOT NULL DEFAULT 0,
  last_used_at        INTEGER NOT NULL DEFAULT 0,
  last_used_ip        TEXT NOT NULL DEFAULT '',
  revoked_at          INTEGER NOT NULL DEFAULT 0,
  created_ip          TEXT NOT NULL DEFAULT '',
  created_user_agent  TEXT NOT NULL DEFAULT ''
);
CREATE INDEX access_tokens_by_person ON access_tokens(person_id, id);
)sql"},
      {10, "mail_writing", R"sql(
-- Writing and sending (mail/submission.cc, store_sqlite/mail_write_repo.cc). An
-- upload (JMAP RFC 8620 §6.1) is a blob file usable by one account until it
-- expires; each row holds one reference in mail_blobs, dropped at expiry.
CREATE TABLE uploads (
  account_id INTEGER NOT NULL,
  blob_id    TEXT NOT NULL,
  type       TEXT NOT NULL,
  size       INTEGER NOT NULL,
  person_id  INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  PRIMARY KEY (account_id, blob_id)
) WITHOUT ROWID;
CREATE INDEX uploads_by_expiry ON uploads(expires_at);
-- A blob id names a message of the account (downloads check it).
CREATE INDEX emails_by_blob ON emails(account_id, blob_id);
-- EmailSubmission (RFC 8621 §7): who sent which message of the account, to whom.
-- recipients: one line per address, "L <address>" delivered locally, "Q <address>"
-- queued for SMTP.
CREATE TABLE email_submissions (
  id          INTEGER PRIMARY KEY,
  account_id  INTEGER NOT NULL,
  email_id    INTEGER NOT NULL,
  thread_id   INTEGER NOT NULL,
  person_id   INTEGER NOT NULL,
  person      TEXT NOT NULL,
  identity_id TEXT NOT NULL DEFAULT '',
  send_at     INTEGER NOT NULL,
  mail_from   TEXT NOT NULL,
  recipients  TEXT NOT NULL,
  modseq      INTEGER NOT NULL
);
CREATE INDEX email_submissions_by_account ON email_submissions(account_id, id);
-- A structure may add a Sender: header naming the person to mail sent from its
-- ORG/APP mailboxes.
ALTER TABLE structures ADD COLUMN mail_adds_sender INTEGER NOT NULL DEFAULT 0;
)sql"},
      {11, "mailbox_counts", R"sql(
-- The counts of each mailbox, kept exact by triggers instead of being counted at
-- each Mailbox/get (store_sqlite/mail_repo.cc): total_emails; unread_emails, the
-- messages without the account's $seen bit (emails.keywords & 1); and for ORG/APP
-- accounts whose read state is per person, mailbox_seen: how many messages of the
-- mailbox each person has read (email_seen), so that its unread count is
-- total_emails - seen. Every write path goes through email_mailboxes, emails'
-- keywords and email_seen, whatever part of caduce writes them.
ALTER TABLE mailboxes ADD COLUMN unread_emails INTEGER NOT NULL DEFAULT 0;
CREATE TABLE mailbox_seen (
  mailbox_id INTEGER NOT NULL,
  person_id  INTEGER NOT NULL,
  seen       INTEGER NOT NULL,
  PRIMARY KEY (mailbox_id, person_id)
) WITHOUT ROWID;
UPDATE mailboxes SET
  total_emails = (SELECT count(*) FROM email_mailboxes m WHERE m.mailbox_id = mailboxes.id),
  unread_emails = (SELECT count(*) FROM email_mailboxes m JOIN emails e ON e.id = m.email_id
                   WHERE m.mailbox_id = mailboxes.id AND (e.keywords & 1) = 0);
INSERT INTO mailbox_seen (mailbox_id, person_id, seen)
  SELECT m.mailbox_id, s.person_id, count(*) FROM email_mailboxes m
    JOIN email_seen s ON s.email_id = m.email_id GROUP BY 1, 2;
-- A message enters a mailbox (delivery, import, draft, copy, move): counted as the
-- account sees it and as each person who read it sees it. The emails row exists
-- first (memberships are written after it and removed before it).
CREATE TRIGGER mailbox_counts_add AFTER INSERT ON email_mailboxes BEGIN
  UPDATE mailboxes SET total_emails = total_emails + 1,
    unread_emails = unread_emails +
      coalesce((SELECT (keywords & 1) = 0 FROM emails WHERE id = NEW.email_id), 0)
    WHERE id = NEW.mailbox_id;
  INSERT INTO mailbox_seen (mailbox_id, person_id, seen)
    SELECT NEW.mailbox_id, person_id, 1 FROM email_seen WHERE email_id = NEW.email_id
    ON CONFLICT (mailbox_id, person_id) DO UPDATE SET seen = seen + 1;
END;
CREATE TRIGGER mailbox_counts_remove AFTER DELETE ON email_mailboxes BEGIN
  UPDATE mailboxes SET total_emails = total_emails - 1,
    unread_emails = unread_emails -
      coalesce((SELECT (keywords & 1) = 0 FROM emails WHERE id = OLD.email_id), 0)
    WHERE id = OLD.mailbox_id;
  UPDATE mailbox_seen SET seen = seen - 1
    WHERE mailbox_id = OLD.mailbox_id
      AND person_id IN (SELECT person_id FROM email_seen WHERE email_id = OLD.email_id);
END;
-- The account's $seen bit changes (Email/set keywords, sending files it read).
CREATE TRIGGER mailbox_counts_seen_bit AFTER UPDATE OF keywords ON emails
  WHEN (OLD.keywords & 1) <> (NEW.keywords & 1)
BEGIN
  UPDATE mailboxes SET unread_emails = unread_emails + CASE WHEN NEW.keywords & 1 THEN -1 ELSE 1 END
    WHERE id IN (SELECT mailbox_id FROM email_mailboxes WHERE email_id = NEW.id);
END;
-- A person reads or unreads a message of a mailbox whose read state is per person.
CREATE TRIGGER mailbox_counts_person_seen AFTER INSERT ON email_seen BEGIN
  INSERT INTO mailbox_seen (mailbox_id, person_id, seen)
    SELECT mailbox_id, NEW.person_id, 1 FROM email_mailboxes WHERE email_id = NEW.email_id
    ON CONFLICT (mailbox_id, person_id) DO UPDATE SET seen = seen + 1;
END;
CREATE TRIGGER mailbox_counts_person_unseen AFTER DELETE ON email_seen BEGIN
  UPDATE mailbox_seen SET seen = seen - 1
    WHERE person_id = OLD.person_id
      AND mailbox_id IN (SELECT mailbox_id FROM email_mailboxes WHERE email_id = OLD.email_id);
END;
CREATE TRIGGER mailbox_counts_forget AFTER DELETE ON mailboxes BEGIN
  DELETE FROM mailbox_seen WHERE mailbox_id = OLD.id;
END;
)sql"},
      {12, "fts_distinct_words", R"sql(
-- Delivery at 2,000 messages/s (bench/bench_mail.cc): the full-text index keeps,
-- for each word, the messages and fields it appears in, not its positions
-- (detail=column), so a message adds each distinct word once
-- (store_sqlite/fts_terms.h). The text itself lives in email_text, from which
-- snippets are cut. A word of several
-- parts ("rendez-vous", an address) is searched as each of its parts.
CREATE TABLE email_text (
  id         INTEGER PRIMARY KEY,
  subject    TEXT NOT NULL,
  sender     TEXT NOT NULL,
  recipients TEXT NOT NULL,
  body       TEXT NOT NULL
);
INSERT INTO email_text (id, subject, sender, recipients, body)
  SELECT rowid, coalesce(subject, ''), coalesce(sender, ''), coalesce(recipients, ''),
         coalesce(body, '') FROM email_fts;
DROP TABLE email_fts;
CREATE VIRTUAL TABLE email_fts USING fts5(subject, sender, recipients, body,
  content = 'email_text', content_rowid = 'id', columnsize = 0, detail = column,
  tokenize = 'unicode61 remove_diacritics 2');
INSERT INTO email_fts (email_fts) VALUES ('rebuild');
-- Messages are indexed after they are stored, many at once, by the indexer of
-- mail/mail_service.cc (and by a search, first): a stored message waits in
-- fts_pending until the index has its words (ids of destroyed messages are reused,
-- so the queue names each message rather than a mark).
CREATE TABLE fts_pending (email_id INTEGER PRIMARY KEY);
)sql"},
  };
  return kAll;
}

}  // namespace caduce::store_sqlite
