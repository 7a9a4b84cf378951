"""The Textual app: screens, widgets, .tcss; reads the store, talks to sync."""
