"""Storage: pynamodb records of the single table, their keys, and cursors."""
