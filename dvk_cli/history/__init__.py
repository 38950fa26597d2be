"""The history store (dvk.sqlite): schema and migrations, the ledger of
submissions, locks, baselines, diffs, the read cache and comparisons with
earlier periods."""
