"""The clinician label page keeps maintainers' notes apart from the citation, under their own heading."""

from __future__ import annotations

import re

from flask.testing import FlaskClient


def test_maintainers_notes_have_their_own_heading_and_language(client: FlaskClient) -> None:
    page = client.get("/labels/ide-cel-us-2021?lang=zh-Hans").get_data(as_text=True)
    source, _sep, rest = page.partition('id="maintainers-heading"')
    assert rest, "the maintainers' notes section is missing"
    assert "维护人员备注" in rest[:200]
    # the English notes are marked as English for screen readers, and sit after the heading, not in the citation
    assert re.search(r'<dd[^>]*lang="en"[^>]*>[^<]*(PI|prescribing|label)', rest)
    citation = source[source.index('id="source-heading"') :]
    assert "发布方" in citation  # the citation names its issuer


def test_permissions_policy_names_no_feature_browsers_warn_about(client: FlaskClient) -> None:
    policy = client.get("/").headers["Permissions-Policy"]
    assert "camera=()" in policy
    assert "bluetooth" not in policy  # not a policy-controlled feature: browsers log a warning for it


def test_chinese_label_pages_name_the_regulator_in_chinese(client: FlaskClient) -> None:
    page = client.get("/labels/cilta-cel-cn-2024?lang=zh-Hans").get_data(as_text=True)
    assert "国家药品监督管理局" in page
    hk = client.get("/labels/teclistamab-hk-undated?lang=zh-Hant").get_data(as_text=True)
    assert "香港特別行政區政府衞生署" in hk
    assert "Department of Health" not in hk
    index = client.get("/labels?lang=zh-Hant").get_data(as_text=True)
    assert "國家藥品監督管理局" in index
    english = client.get("/labels/cilta-cel-cn-2024?lang=en").get_data(as_text=True)
    assert "National Medical Products Administration (国家药品监督管理局) (NMPA)" in english
