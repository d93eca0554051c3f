"""The upload limit is set where the issue asked (issue 16, problem 5) and the proxy example agrees."""

import re
import tomllib

from tests.conftest import ROOT


def test_the_upload_limit_is_what_the_imports_need_and_the_proxy_says_the_same():
    server = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))["server"]
    limit = server["maxUploadSize"]  # megabytes; Streamlit's default of 200 let any session fill memory
    assert 6.3 < limit <= 32  # a 100,000-person roster with long email addresses is 6.3 MB
    nginx = (ROOT / "deploy" / "nginx.conf").read_text(encoding="utf-8")
    assert re.search(rf"^\s*client_max_body_size {limit}m;", nginx, re.M)
    assert server["enableXsrfProtection"] is True
