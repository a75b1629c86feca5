BEGIN TRANSACTION;
CREATE TABLE entries (
            name TEXT PRIMARY KEY,
            owner TEXT NOT NULL DEFAULT '',
            parent TEXT,
            state TEXT NOT NULL DEFAULT 'active',
            site_code TEXT NOT NULL DEFAULT '',
            contact TEXT NOT NULL DEFAULT '',
            networks TEXT NOT NULL DEFAULT '[]',
            nameservers TEXT NOT NULL DEFAULT '[]',
            note TEXT NOT NULL DEFAULT '',
            created TEXT NOT NULL,
            updated TEXT NOT NULL
        );
INSERT INTO "entries" VALUES('www.jiuquan.gov.cn','酒泉市人民政府办公室',NULL,'active','6209000001','','["127.20.1.0/24"]','[]','','2026-10-01T02:00:00Z','2026-10-01T02:00:00Z');
INSERT INTO "entries" VALUES('gsj.jiuquan.gov.cn','酒泉市工商行政管理局','www.jiuquan.gov.cn','offline','6209000001','','["127.20.1.0/24"]','[]','','2026-10-01T02:00:00Z','2026-10-01T02:00:00Z');
INSERT INTO "entries" VALUES('xn--bww729e.xn--zfr164b','酒泉市人民政府办公室',NULL,'active','6209000001','','["127.20.1.0/24"]','[]','','2026-10-01T02:00:00Z','2026-10-01T02:00:00Z');
CREATE TABLE entry_history (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL,
            at TEXT NOT NULL,
            by TEXT NOT NULL,
            action TEXT NOT NULL,
            changes TEXT NOT NULL,
            reason TEXT NOT NULL DEFAULT ''
        );
INSERT INTO "entry_history" VALUES(1,'www.jiuquan.gov.cn','2026-10-01T02:00:00Z','admin','added','{"state": "active"}','import register.csv');
INSERT INTO "entry_history" VALUES(2,'gsj.jiuquan.gov.cn','2026-10-01T02:00:00Z','admin','added','{"state": "offline"}','import register.csv');
INSERT INTO "entry_history" VALUES(3,'xn--bww729e.xn--zfr164b','2026-10-01T02:00:00Z','admin','added','{"state": "active"}','import register.csv');
CREATE TABLE findings (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL,
            rule TEXT NOT NULL,
            subject TEXT NOT NULL DEFAULT '',
            category TEXT NOT NULL,
            severity TEXT NOT NULL,
            status TEXT NOT NULL,
            first_seen TEXT NOT NULL,
            last_seen TEXT NOT NULL,
            resolved_at TEXT,
            summary TEXT NOT NULL,
            evidence TEXT NOT NULL DEFAULT '{}',
            ack_note TEXT,
            ack_by TEXT,
            ack_at TEXT,
            UNIQUE (name, rule, subject)
        );
INSERT INTO "findings" VALUES(1,'gsj.jiuquan.gov.cn','unused.offline_still_resolving','','unused','high','acknowledged','2026-10-01T02:00:00Z','2026-10-01T02:00:00Z',NULL,'gsj.jiuquan.gov.cn is offline in the register but still resolves','{}','deregistration filed with CNNIC','admin','2026-10-02T08:00:00Z');
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT);
INSERT INTO "meta" VALUES('schema_version','1');
CREATE TABLE observations (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL,
            probe TEXT NOT NULL,
            hash TEXT NOT NULL,
            data TEXT NOT NULL,
            first_seen TEXT NOT NULL,
            last_seen TEXT NOT NULL,
            first_run INTEGER NOT NULL,
            last_run INTEGER NOT NULL
        );
INSERT INTO "observations" VALUES(1,'gsj.jiuquan.gov.cn','dns','abababababababababababababababababababababababababababababababab','{"status": "resolves", "a": ["127.20.1.20"], "cname_chain": []}','2026-10-01T02:00:00Z','2026-10-01T02:00:00Z',1,1);
CREATE TABLE runs (
            id INTEGER PRIMARY KEY,
            started TEXT NOT NULL,
            finished TEXT,
            status TEXT NOT NULL,
            names_total INTEGER NOT NULL DEFAULT 0,
            names_done INTEGER NOT NULL DEFAULT 0,
            options TEXT NOT NULL DEFAULT '{}'
        );
INSERT INTO "runs" VALUES(1,'2026-10-01T02:00:00Z','2026-10-01T02:00:05Z','complete',3,3,'{"resolvers":["127.0.0.1:53"]}');
CREATE INDEX entry_history_name ON entry_history (name, id);
CREATE INDEX observations_name ON observations (name, probe, id);
CREATE INDEX findings_status ON findings (status, severity);
COMMIT;
