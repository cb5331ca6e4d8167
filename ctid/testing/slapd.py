"""`Slapd`: a real OpenLDAP server for tests and benchmarks, on a random loopback port.

    with Slapd(ldif=[DATA / "ldap" / "people.ldif"]) as slapd:
        source = {"uri": slapd.url, "base_dn": slapd.suffix, ...}
        slapd.restart()        # same port, same data: a server restart seen by clients

It runs Debian's `/usr/sbin/slapd` (package `slapd`; `ldap-utils` is handy beside it) in the
foreground, with a private cn=config built by `slapadd -n0` in a temporary folder, one mdb
database for `suffix`, a root DN with a clear-text password, and the given LDIF files loaded
offline with `slapadd` (fast: a benchmark loads 100,000 entries this way). With `tls=` it also
listens on an `ldaps://` port and answers StartTLS. It never touches the system's own slapd
configuration and works as root (slapd keeps the caller's user when no -u/-g is given).

When the binary is absent, `require_slapd()` skips the calling test, naming the missing binary;
`Blackhole` stands in for a server that accepts connections and never answers.
"""

from __future__ import annotations

import dataclasses
import pathlib
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterable, Sequence
from types import TracebackType

import gevent

from ctid.testing.ports import free_port

SLAPD = pathlib.Path("/usr/sbin/slapd")
SLAPADD = pathlib.Path("/usr/sbin/slapadd")
SCHEMA_DIR = pathlib.Path("/etc/ldap/schema")
MODULE_DIR = pathlib.Path("/usr/lib/ldap")
SCHEMAS = ("core", "cosine", "nis", "inetorgperson")
# Equality for reverse lookups, substrings for direct searches: what an operator would index.
DEFAULT_INDEXES = (
    "objectClass eq",
    "cn,sn,givenName,o,mail eq,sub",
    "telephoneNumber,mobile,homePhone eq,sub",
)
_START_TIMEOUT = 15.0
_STOP_TIMEOUT = 10.0


class SlapdError(RuntimeError):
    """slapd or slapadd failed; the message carries their output."""


def require_slapd() -> None:
    """Skip the calling test (pytest) when Debian's slapd is not installed."""
    missing = [str(path) for path in (SLAPD, SLAPADD) if not path.exists()]
    if missing:
        import pytest  # noqa: PLC0415  (only tests call this; the kit must not need pytest)

        pytest.skip(f"{' and '.join(missing)} missing: apt-get install slapd ldap-utils")


@dataclasses.dataclass(frozen=True)
class TlsFiles:
    """The server side of TLS: certificate, its key, and the CA that signed it (PEM paths)."""

    certfile: str
    keyfile: str
    cafile: str


class Slapd:
    """One slapd process with its own config and data in a temporary folder."""

    def __init__(
        self,
        ldif: Sequence[str | pathlib.Path] = (),
        *,
        suffix: str = "dc=example,dc=org",
        root_password: str = "ctid-test",  # noqa: S107  (a throwaway server's root)
        tls: TlsFiles | None = None,
        indexes: Sequence[str] = DEFAULT_INDEXES,
        size_limit: int = 500,
        map_size: int = 1 << 30,
    ) -> None:
        self.suffix = suffix
        self.root_dn = f"cn=admin,{suffix}"
        self.root_password = root_password
        self.tls = tls
        self._ldif = [pathlib.Path(path) for path in ldif]
        self._indexes = tuple(indexes)
        self._size_limit = size_limit
        self._map_size = map_size
        self._folder: tempfile.TemporaryDirectory[str] | None = None
        self._process: subprocess.Popen[bytes] | None = None
        self.port = 0
        self.tls_port = 0

    @property
    def url(self) -> str:
        """`ldap://127.0.0.1:<port>` (StartTLS is offered there when TLS is configured)."""
        return f"ldap://127.0.0.1:{self.port}"

    @property
    def ldaps_url(self) -> str:
        """`ldaps://localhost:<port>`: a name the test certificates carry."""
        if self.tls is None:
            raise SlapdError("this Slapd was made without tls=")
        return f"ldaps://localhost:{self.tls_port}"

    @property
    def folder(self) -> pathlib.Path:
        if self._folder is None:
            raise SlapdError("slapd is not set up: call start() first")
        return pathlib.Path(self._folder.name)

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def start(self) -> Slapd:
        """Build the config and data (first time only), then run slapd and wait until it listens."""
        if self._folder is None:
            self._folder = tempfile.TemporaryDirectory(prefix="ctid-slapd-")
            self.port = free_port()
            self.tls_port = free_port() if self.tls is not None else 0
            self._build()
        self._run()
        return self

    def stop(self) -> None:
        """Stop slapd (SIGTERM, then SIGKILL past a deadline); the data stays for restart()."""
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGCONT)  # a paused slapd cannot act on SIGTERM
        process.terminate()
        try:
            process.wait(timeout=_STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=_STOP_TIMEOUT)

    def pause(self) -> None:
        """Freeze slapd (SIGSTOP): connections stay open and nothing is answered, a hung server.
        Returns once every slapd thread is stopped (a signal is delivered asynchronously)."""
        if self._process is None:
            return
        self._process.send_signal(signal.SIGSTOP)
        tasks = pathlib.Path(f"/proc/{self._process.pid}/task")
        deadline = time.monotonic() + _STOP_TIMEOUT
        while not all(_stopped(task) for task in tasks.iterdir()):
            if time.monotonic() > deadline:
                raise SlapdError("slapd did not stop on SIGSTOP")
            gevent.sleep(0.001)

    def resume(self) -> None:
        """Let a paused slapd run again (SIGCONT)."""
        if self._process is not None:
            self._process.send_signal(signal.SIGCONT)

    def restart(self) -> None:
        """Stop, then start again on the same ports with the same data."""
        self.stop()
        self._run()

    def close(self) -> None:
        """Stop slapd and delete its config and data."""
        self.stop()
        if self._folder is not None:
            self._folder.cleanup()
            self._folder = None

    def __enter__(self) -> Slapd:
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def log(self) -> str:
        """What slapd printed (its stderr, debug level 0): for failure messages."""
        path = self.folder / "slapd.log"
        return path.read_text(encoding="utf-8", errors="replace") if path.exists() else ""

    # --- setting up -------------------------------------------------------------------------

    def _build(self) -> None:
        config, data = self.folder / "slapd.d", self.folder / "data"
        config.mkdir()
        data.mkdir()
        config_ldif = self.folder / "config.ldif"
        config_ldif.write_text(self._config_ldif(data), encoding="utf-8")
        _slapadd(["-n0", "-F", str(config), "-l", str(config_ldif)])
        base_ldif = self.folder / "base.ldif"
        base_ldif.write_text(_base_ldif(self.suffix), encoding="utf-8")
        for path in [base_ldif, *self._ldif]:
            _slapadd(["-q", "-F", str(config), "-b", self.suffix, "-l", str(path)])

    def _config_ldif(self, data: pathlib.Path) -> str:
        tls = self.tls
        tls_lines = (
            f"olcTLSCertificateFile: {tls.certfile}\n"
            f"olcTLSCertificateKeyFile: {tls.keyfile}\n"
            f"olcTLSCACertificateFile: {tls.cafile}\n"
            if tls is not None
            else ""
        )
        includes = "".join(f"include: file://{SCHEMA_DIR / name}.ldif\n\n" for name in SCHEMAS)
        indexes = "".join(f"olcDbIndex: {index}\n" for index in self._indexes)
        return _CONFIG.format(
            folder=self.folder,
            tls=tls_lines,
            modules=MODULE_DIR,
            includes=includes,
            size_limit=self._size_limit,
            data=data,
            suffix=self.suffix,
            root_dn=self.root_dn,
            root_password=self.root_password,
            map_size=self._map_size,
            indexes=indexes,
        )

    def _run(self) -> None:
        if self.running:
            return
        urls = [self.url]
        if self.tls is not None:
            urls.append(f"ldaps://127.0.0.1:{self.tls_port}")
        log = (self.folder / "slapd.log").open("ab")
        with log:
            # -d 0 keeps slapd in the foreground, so this object owns the process; no -u/-g:
            # it keeps the caller's user, root included.
            self._process = subprocess.Popen(  # noqa: S603  (fixed argv, our own paths)
                [str(SLAPD), "-d", "0", "-F", str(self.folder / "slapd.d"), "-h", " ".join(urls)],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        self._wait_listening([self.port, self.tls_port] if self.tls else [self.port])

    def _wait_listening(self, ports: Iterable[int]) -> None:
        deadline = time.monotonic() + _START_TIMEOUT
        pending = list(ports)
        delay = 0.002
        while pending:
            if not self.running:
                raise SlapdError(f"slapd exited at start:\n{self.log()}")
            if _accepts(pending[0]):
                pending.pop(0)
                continue
            if time.monotonic() > deadline:
                self.stop()
                raise SlapdError(f"slapd did not listen within {_START_TIMEOUT} s:\n{self.log()}")
            gevent.sleep(delay)
            delay = min(delay * 2, 0.05)


class Blackhole:
    """A loopback TCP port that completes the handshake and then never says a word.

    The kernel accepts connections into the listen backlog; nothing reads them. An LDAP client
    pointed at `url` connects, sends its bind, and waits: the case a deadline must cut short.
    """

    def __init__(self) -> None:
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.bind(("127.0.0.1", 0))
        self._socket.listen(64)
        self.port: int = self._socket.getsockname()[1]

    @property
    def url(self) -> str:
        return f"ldap://127.0.0.1:{self.port}"

    def close(self) -> None:
        self._socket.close()

    def __enter__(self) -> Blackhole:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def make_tls_files(directory: str | pathlib.Path) -> TlsFiles:
    """A throwaway CA and a server certificate it signed, for `localhost` and `127.0.0.1`, made
    with the `openssl` command in `directory`; valid two days, never for anything but tests."""
    folder = pathlib.Path(directory)
    folder.mkdir(parents=True, exist_ok=True)
    ca_cert, ca_key = folder / "ca.crt", folder / "ca.key"
    cert, key, request = folder / "server.crt", folder / "server.key", folder / "server.csr"
    extensions = folder / "server.ext"
    extensions.write_text(_SERVER_EXTENSIONS, encoding="utf-8")
    curve = ("-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes")
    ca_extensions = ("basicConstraints=critical,CA:TRUE", "keyUsage=critical,keyCertSign,cRLSign")
    _openssl("req", "-x509", *curve, "-days", "2", "-subj", "/CN=ctid test CA",
             "-addext", ca_extensions[0], "-addext", ca_extensions[1],
             "-keyout", str(ca_key), "-out", str(ca_cert))  # fmt: skip
    _openssl("req", "-new", *curve, "-subj", "/CN=localhost",
             "-keyout", str(key), "-out", str(request))  # fmt: skip
    _openssl("x509", "-req", "-in", str(request), "-CA", str(ca_cert), "-CAkey", str(ca_key),
             "-CAcreateserial", "-days", "2", "-extfile", str(extensions),
             "-out", str(cert))  # fmt: skip
    for path in (ca_key, key):
        path.chmod(0o600)
    return TlsFiles(certfile=str(cert), keyfile=str(key), cafile=str(ca_cert))


def _stopped(task: pathlib.Path) -> bool:
    try:
        stat = (task / "stat").read_text(encoding="ascii", errors="replace")
    except OSError:
        return True  # the thread is gone
    # The state follows the parenthesized command name: T is "stopped by a signal".
    return stat.rpartition(")")[2].split()[0] in ("T", "t")


def _accepts(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def _slapadd(arguments: list[str]) -> None:
    if not SLAPADD.exists():
        raise SlapdError(f"{SLAPADD} missing: apt-get install slapd")
    done = subprocess.run(  # noqa: S603  (fixed binary, arguments are our own paths)
        [str(SLAPADD), *arguments], capture_output=True, text=True, timeout=600, check=False
    )
    if done.returncode != 0:
        raise SlapdError(f"slapadd {' '.join(arguments)} failed:\n{done.stdout}{done.stderr}")


def _openssl(*arguments: str) -> None:
    openssl = shutil.which("openssl")
    if openssl is None:
        raise SlapdError("the openssl command is missing: apt-get install openssl")
    done = subprocess.run(  # noqa: S603  (fixed binary, arguments are our own paths)
        [openssl, *arguments], capture_output=True, text=True, timeout=60, check=False
    )
    if done.returncode != 0:
        raise SlapdError(f"openssl {arguments[0]} failed: {done.stderr.strip()}")


def _base_ldif(suffix: str) -> str:
    first = suffix.split(",", 1)[0]
    attribute, _, value = first.partition("=")
    if attribute.strip().lower() != "dc":
        raise SlapdError(f"the suffix must start with dc=…, not {first!r}")
    return (
        f"dn: {suffix}\nobjectClass: dcObject\nobjectClass: organization\n"
        f"dc: {value.strip()}\no: {value.strip()}\n"
    )


_CONFIG = """\
dn: cn=config
objectClass: olcGlobal
cn: config
olcPidFile: {folder}/slapd.pid
olcArgsFile: {folder}/slapd.args
{tls}
dn: cn=module{{0}},cn=config
objectClass: olcModuleList
cn: module{{0}}
olcModulePath: {modules}
olcModuleLoad: back_mdb

dn: cn=schema,cn=config
objectClass: olcSchemaConfig
cn: schema

{includes}\
dn: olcDatabase={{-1}}frontend,cn=config
objectClass: olcDatabaseConfig
objectClass: olcFrontendConfig
olcDatabase: {{-1}}frontend
olcSizeLimit: {size_limit}

dn: olcDatabase={{0}}config,cn=config
objectClass: olcDatabaseConfig
olcDatabase: {{0}}config
olcAccess: {{0}}to * by * none

dn: olcDatabase={{1}}mdb,cn=config
objectClass: olcDatabaseConfig
objectClass: olcMdbConfig
olcDatabase: {{1}}mdb
olcDbDirectory: {data}
olcSuffix: {suffix}
olcRootDN: {root_dn}
olcRootPW: {root_password}
olcDbMaxSize: {map_size}
{indexes}\
olcAccess: {{0}}to attrs=userPassword by anonymous auth by * none
olcAccess: {{1}}to * by * read
"""

_SERVER_EXTENSIONS = """\
basicConstraints = CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost, IP:127.0.0.1
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid, issuer
"""
