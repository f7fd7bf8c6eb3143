-- Exchange 5.5 Key Management Server database, schema version 1: the indexes
-- built once the records are loaded (docs/database.md). With kms55.sql this is
-- the schema.
-- One sort over the finished table rather than an insert per record into an
-- index whose keys arrive in no order (docs/performance.md). The cross-file rule
-- duplicate-mailbox (docs/legacy-store.md) has rejected, and deleted the clients of,
-- every file whose MailboxDN another shares before this runs; were one left,
-- this statement would fail and nothing would be committed.
CREATE UNIQUE INDEX clients_mailbox_dn ON clients (mailbox_dn);
