"""Decks: present the shipped lecture deck, or make one's own (``ui.deck``): steps added from any page's sidebar,
reordered and edited in a table, downloaded or uploaded as a small JSON file, shared as one link."""
import uuid
from urllib.parse import urlparse

import pandas as pd
import streamlit as st

from server import budgets
from ui import deck, lecture
from ui.pages import setup_page

setup_page()
pages = deck.page_files()
made = deck.mine()

st.title("Decks: a lecture in live views")
st.markdown("A deck is a lecture as **slides**: each step shows one picture of a page, a note on what to notice and "
            "the controls the note names; **←** and **→** step through it, and a step may ask the class a question "
            "(on their phones) before it shows the answer. Present the shipped lecture, or make your own: on any "
            "page, open the sidebar (**›** at the top left), write what to notice and press *Add this view as a "
            "step*. Your deck lives in this browser tab until it is reloaded: download it or share its link.")


SHORT = "_decks_short"  # session state: (the deck's JSON, its short link value) as the lecturer last saved it
SAVE_SAID = "_decks_save_said"


def save_short(d: deck.Deck) -> None:
    """The Save button's callback: the deck kept on the server (server.saved_decks: saves are limited per session and
    per address), or why not in one sentence. Edits are never saved until the lecturer asks."""
    session = st.session_state.setdefault("_decks_session", uuid.uuid4().hex)
    try:
        st.session_state[SHORT] = (deck.to_json(d), deck.short(d, session, st.context.ip_address))
    except ValueError as err:  # saved_decks.SavedDeckError: rates, a full store
        st.session_state[SAVE_SAID] = str(err)
    except OSError as err:
        st.session_state[SAVE_SAID] = f"This server cannot keep decks ({err}); share the long link or the file."


def share_link(d: deck.Deck, value: str | None = None) -> str:
    """A link that opens ``d`` on its first step, as slides (``present=1``), for this server (relative when the
    server's address is unknown); ``value``: the link's deck value (default: the whole deck, carried in the link)."""
    first = d.steps[0]
    url = st.context.url or ""
    path = urlparse(url).path.rstrip("/")
    base = url[: len(url) - len(urlparse(url).path)] + (path.rsplit("/", 1)[0] if path.rsplit("/", 1)[-1] in pages
                                                         else path)
    page = "" if first.page == next(iter(pages)) else first.page
    query = "&".join(q for q in (first.link, f"deck={value or deck.encode(d)}", "step=1", "present=1") if q)
    return f"{base or '.'}/{page}?{query}"


def _take(d: deck.Deck) -> None:
    """Make ``d`` the deck being made (a callback: the title box is drawn after it)."""
    made.update(deck.as_dict(d))
    st.session_state["_decks_title"] = d.title


def _take_edits() -> None:
    made["steps"], said = deck.apply_edits(made["steps"], st.session_state["_decks_table"], pages)
    st.session_state["_decks_said"] = said


shipped, own = st.columns([1.1, 1.6], gap="large")
with shipped:
    st.subheader("Shipped")
    try:
        decks = deck.shipped(pages)
    except deck.DeckError as err:  # a deck file in assets/decks/ that this app cannot present
        st.error(str(err))
        decks = {}
    for name, d in decks.items():
        with st.container(border=True):
            st.markdown(f"**{d.title}** · {len(d.steps)} steps")
            row = st.container(horizontal=True)
            if row.button("Present", key=f"_decks_go_{name}", type="primary", icon=":material/slideshow:"):
                lecture.start(name, deck.as_dict(d))  # the class's room: the phones follow this lecture
                deck.go(name, d, 0, present=True)
            row.button("Edit a copy", key=f"_decks_copy_{name}", help="Make it your deck (replaces yours)",
                        on_click=_take, args=(d,))
            row.download_button("Download", deck.to_json(d), file_name=f"{name}.json", mime="application/json",
                                 key=f"_decks_get_{name}", on_click="ignore")

with own:
    st.subheader("Yours")
    st.session_state.setdefault("_decks_title", made["title"])
    made["title"] = st.text_input("Title", key="_decks_title", max_chars=120).strip() or "My lecture"
    for sentence in st.session_state.pop("_decks_said", []):
        st.warning(sentence)
    if not made["steps"]:
        st.info("No steps yet: add views from any page's sidebar, edit a copy of a shipped deck, or open a deck file "
                "below.")
    else:
        table = pd.DataFrame([{"#": i, **{k: s.get(k, "") for k in deck.COLUMNS[1:]}}
                              for i, s in enumerate(made["steps"], 1)], columns=list(deck.COLUMNS))
        st.data_editor(table, key="_decks_table", on_change=_take_edits, num_rows="dynamic", hide_index=True,
                       width="stretch", column_config={
                           "#": st.column_config.NumberColumn(help="Change it to move the step", width="small"),
                           "page": st.column_config.SelectboxColumn(options=list(pages), required=True),
                           "note": st.column_config.TextColumn("what to notice", width="medium", max_chars=600),
                           "link": st.column_config.TextColumn("the page's state (its link)")})
        st.caption("Change a step's # to move it; select rows and press Delete to remove them; the last row adds one.")
        try:
            mine = deck.as_deck(made, pages)
        except deck.DeckError as err:
            st.warning(str(err))
        else:
            go, save = st.columns(2)
            if go.button("Present", key="_decks_go_mine", type="primary", icon=":material/slideshow:"):
                lecture.start(deck.encode(mine), deck.as_dict(mine))
                deck.go(deck.encode(mine), mine, 0, present=True)
            save.download_button("Download (JSON)", deck.to_json(mine), file_name="deck.json",
                                 mime="application/json", key="_decks_get_mine", on_click="ignore")
            st.markdown("**Share it** (a short link; this server keeps the deck once you save it):")
            saved = st.session_state.get(SHORT)
            current = saved is not None and saved[0] == deck.to_json(mine)
            if current:
                st.code(share_link(mine, saved[1]), language=None, wrap_lines=True)
            st.button("Save again for a short link (changed since)" if saved and not current else
                      "Save for a short link", key="_decks_save", icon=":material/link:", disabled=current,
                      on_click=save_short, args=(mine,))
            if said := st.session_state.pop(SAVE_SAID, None):
                st.warning(said)
            link = share_link(mine)
            if len(link) > budgets.DECK_MAX_LINK_CHARS:
                st.warning(f"This deck is too long for one link ({len(link):,} characters; at most "
                           f"{budgets.DECK_MAX_LINK_CHARS:,}): share its file instead.")
            else:
                st.markdown("**Or as one long link** (it carries the whole deck; no server needs to keep it):")
                st.code(link, language=None, wrap_lines=True)
    upload = st.file_uploader("Open a deck file (JSON)", type=["json"], key="_decks_upload",
                              max_upload_size=max(1, budgets.DECK_MAX_BYTES // budgets.MB))  # MB, Streamlit's least
    if upload is not None:
        try:
            loaded = deck.parse(upload.getvalue(), pages)
        except deck.DeckError as err:
            st.error(str(err))
        else:
            st.success(f"{upload.name}: {loaded.title!r}, {len(loaded.steps)} steps.")
            st.button("Make it your deck" + (f" (replaces your {len(made['steps'])} steps)" if made["steps"] else ""),
                      key="_decks_take", on_click=_take, args=(loaded,))
