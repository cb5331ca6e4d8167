"""Sheets (screen pops): configured displays rendered from call events and sent to CTI clients.

- `config`: the `sheets:` schema and its cross-checks (forms read at config load);
- `variables`: `{family-name}` substitution and the variable providers;
- `conditions`: destination users and the recipients spec;
- `model`: the `Sheet` data; `render`: definition + event + values → `Sheet`;
- `payload`: the XML and JSON serials and the CTI message;
- `urlauto` / `actions`: the urlauto syntax, handler contract and server-side actions;
- `state`: per-channel viewers, owner and notes;
- `engine`: the core's `ctid_call_event_emitted` implementation tying it together;
- `commands`: the info console's `sheet` and the CTI `sheet` (addentry) commands.
"""

# ctid.config's package imports its cross-checks, which import ctid.sheets.config, which needs
# ctid.config's submodules: importing the package first makes any entry point load in one order.
import ctid.config  # noqa: F401
