"""The retry page a participant sees when their answer cannot be stored (a storage fault).

``st.App(on_script_error=explain_fault)`` in app.py: Streamlit calls it for an uncaught exception
in a script run, a widget callback or a fragment. A storage fault (:mod:`core.faults`) draws the
retry page in the visitor's language in place of Streamlit's "This app has encountered an error";
anything else keeps Streamlit's own display.
"""

from __future__ import annotations

import streamlit as st

from core import faults
from core.i18n import LANGUAGE_PARAM, _, choose_language, using_language

RETRY_KEY = "_ht_fault_retry"


def _visitor_language() -> str:
    return choose_language(
        st.query_params.get(LANGUAGE_PARAM),
        accept_language=st.context.headers.get("Accept-Language"),
        browser_locale=st.context.locale,
    )


def explain_fault(error: Exception) -> bool | None:
    """Draw the retry page for a storage fault and return True (Streamlit then shows no error); else None."""
    if faults.record(error) is None:
        return None
    with using_language(_visitor_language()):
        st.subheader(_(faults.RETRY_TITLE))
        st.info(_(faults.RETRY_TEXT))
        # A click reruns the page: it retries what failed once storage works again.
        st.button(_(faults.RETRY_BUTTON), key=RETRY_KEY, type="primary")
    return True
