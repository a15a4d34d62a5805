-- SQLite's schema versions 3 and 4: when each room's next pledge contact falls
-- due for deletion (so the hourly sweep wakes only the rooms that hold one), and
-- the programme team's updates to a room's public page ("You said, we did").
CREATE TABLE contact_expiry (
    room TEXT PRIMARY KEY REFERENCES rooms (code) ON DELETE CASCADE,
    due_at BIGINT NOT NULL
);

CREATE TABLE room_updates (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    room TEXT NOT NULL REFERENCES rooms (code) ON DELETE CASCADE,
    text TEXT NOT NULL,
    posted_at BIGINT NOT NULL,
    edited_at BIGINT
);
CREATE INDEX room_updates_by_room ON room_updates (room, posted_at);
