"""Other AWS calls and outside services, behind small functions tests can replace."""
