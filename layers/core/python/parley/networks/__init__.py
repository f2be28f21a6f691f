"""One adapter per network behind one interface (`base.Adapter`)."""
