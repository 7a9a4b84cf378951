"""Textual's own English that the app shows, marked here so that it is extracted into the
catalog and translated where it is drawn: the descriptions of the key bindings of the widgets
the screens use (the key bar, the Keys screen), and the command palette's system commands.

``tests/tui/test_textual_english.py`` gathers these from the installed Textual and fails on
one that is missing here (a Textual upgrade that adds a binding) or seen in English on a
screen of the Chinese interface.
"""

from __future__ import annotations

from ..i18n import N_

#: Bindings of App, Screen, the command palette and the widgets the screens use.
BINDINGS = (
    N_("palette"),
    N_("Open the command palette"),
    *(N_("Quit"), N_("Quit the app and return to the command prompt.")),
    *(N_("Focus Next"), N_("Focus Previous"), N_("Copy selected text")),
    *(N_("Exit the command palette"), N_("Next command"), N_("Previous command")),
    *(N_("Next page"), N_("Previous page"), N_("Go to top"), N_("Go to bottom")),
    *(N_("Scroll Up"), N_("Scroll Down"), N_("Scroll Left"), N_("Scroll Right")),
    *(N_("Scroll Home"), N_("Scroll End"), N_("Page Up"), N_("Page Down")),
    *(N_("Page Left"), N_("Page Right")),
    *(N_("Cursor up"), N_("Cursor down"), N_("Cursor left"), N_("Cursor right")),
    *(N_("Page up"), N_("Page down"), N_("Top"), N_("Bottom"), N_("Home"), N_("End")),
    *(N_("Select"), N_("Press button"), N_("Show menu"), N_("Dismiss menu")),
    *(N_("Up"), N_("Down"), N_("First"), N_("Last")),
    # Input
    *(N_("Move cursor left"), N_("Move cursor left and select")),
    *(N_("Move cursor left a word"), N_("Move cursor left a word and select")),
    *(N_("Move cursor right and select"), N_("Move cursor right a word")),
    *(N_("Move cursor right a word and select"), N_("Go to start"), N_("Go to end")),
    N_("Move cursor right or accept the completion suggestion"),
    *(N_("Select line start"), N_("Select line end"), N_("Select all"), N_("Submit")),
    *(N_("Delete character left"), N_("Delete character right")),
    *(N_("Delete left to start of word"), N_("Delete right to start of word")),
    *(N_("Delete all to the left"), N_("Delete all to the right")),
    *(N_("Cut selected text"), N_("Paste text from the clipboard")),
    # TextArea
    *(N_("Cursor up select"), N_("Cursor down select"), N_("Cursor left select")),
    *(N_("Cursor right select"), N_("Cursor word left"), N_("Cursor word right")),
    *(N_("Cursor left word select"), N_("Cursor right word select")),
    *(N_("Cursor line start"), N_("Cursor line end"), N_("Cursor line start select")),
    *(N_("Cursor line end select"), N_("Cursor page up"), N_("Cursor page down")),
    *(N_("Select line"), N_("Delete line"), N_("Delete to line start")),
    *(N_("Delete to line end"), N_("Undo"), N_("Redo"), N_("Cut"), N_("Copy"), N_("Paste")),
)
#: Textual's palette commands (its Keys command is replaced by the app's own).
COMMANDS = (
    *(N_("Theme"), N_("Change the current theme"), N_("Quit")),
    *(N_("Quit the application as soon as possible"), N_("Minimize"), N_("Maximize")),
    *(N_("Minimize the widget and restore to normal size"), N_("Maximize the focused widget")),
    *(N_("Screenshot"), N_("Save an SVG 'screenshot' of the current screen")),
)
