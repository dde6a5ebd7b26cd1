"""The Decks page's descriptor (pages/decks.py; the decks themselves are ``ui.deck``)."""
from ui.descriptor import Page

PAGE = Page("pages/decks.py", "Decks", ":material/slideshow:",
            "Lecture decks: present the shipped lecture step by step with ← and →, or make your own from any "
            "page's view (the sidebar's *Add this view*), then reorder, download, upload or share it as one link.")
