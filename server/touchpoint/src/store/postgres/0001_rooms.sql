-- The rooms, their documents' logs and snapshots, named snapshots and quarantines:
-- the same tables as SQLite's schema version 2, every blob with its CRC-32.
CREATE TABLE rooms (
    code TEXT PRIMARY KEY,
    title TEXT NOT NULL,
    is_demo BOOLEAN NOT NULL DEFAULT false,
    created_at BIGINT NOT NULL,
    template TEXT,
    programme TEXT
);
CREATE INDEX rooms_by_created_at ON rooms (created_at, code);
CREATE INDEX rooms_by_programme ON rooms (programme, created_at, code);

-- The sequence number orders a room's log: one owner commits a room's appends one
-- batch at a time, so a later append of a room always has a larger number.
CREATE TABLE updates (
    seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    room TEXT NOT NULL REFERENCES rooms (code) ON DELETE CASCADE,
    doc SMALLINT NOT NULL,
    data BYTEA NOT NULL,
    at BIGINT NOT NULL,
    crc BIGINT NOT NULL
);
CREATE INDEX updates_by_room ON updates (room, doc, seq);

CREATE TABLE snapshots (
    id BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,
    room TEXT NOT NULL REFERENCES rooms (code) ON DELETE CASCADE,
    doc SMALLINT NOT NULL,
    upto_seq BIGINT NOT NULL,
    state BYTEA NOT NULL,
    crc BIGINT NOT NULL,
    PRIMARY KEY (room, doc)
);

CREATE TABLE named_snapshots (
    id BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,
    room TEXT NOT NULL REFERENCES rooms (code) ON DELETE CASCADE,
    name TEXT NOT NULL,
    taken_at BIGINT NOT NULL,
    state BYTEA NOT NULL,
    crc BIGINT NOT NULL,
    PRIMARY KEY (room, name)
);

CREATE TABLE quarantine (
    room TEXT PRIMARY KEY REFERENCES rooms (code) ON DELETE CASCADE,
    row_table TEXT NOT NULL,
    row_id BIGINT NOT NULL,
    reason TEXT NOT NULL,
    since BIGINT NOT NULL
);
