"""Several devices in one view through a folder the person already syncs (issue 18).

Each device writes only `<folder>/tokenlens/<device-id>/`: immutable, encrypted, append-only
segments of its own new events (segments.py), keyed by a passphrase all the person's devices
share (keys.py), and reads the other devices' segments into its ledger, kept apart by
`events.device` (engine.py). No SQLite file, no socket, no server: the sync engine (Syncthing,
Dropbox, a network share, a USB stick) moves the files. No Qt here.
"""
