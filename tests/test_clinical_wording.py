"""Clinical definitions we explain follow and cite their source (issue 20 item 7): IMWG lines of therapy."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

IMWG_DOI = "https://doi.org/10.1182/blood-2015-05-647636"


@pytest.mark.parametrize(
    ("lang", "toxicity", "dose_only"),
    [
        ("en", "or because of side effects", "Changing only the dose"),
        ("zh-Hans", "或者因为副作用", "只调整正在使用的药物的剂量"),
        ("zh-Hant", "或者因為副作用", "只調整正在使用的藥物的劑量"),
    ],
)
def test_the_form_counts_lines_as_imwg_does_and_cites_it(
    client: FlaskClient, lang: str, toxicity: str, dose_only: str
) -> None:
    page = client.get(f"/check?lang={lang}").get_data(as_text=True)
    # Rajkumar et al., Blood 2015;126:921: a change of drugs because of progression, relapse OR toxicity starts
    # a new line; only a dose change does not.
    assert toxicity in page
    assert dose_only in page
    assert IMWG_DOI in page
    for wrong in (
        "Changing a medicine or its dose because of side effects does not start a new line",
        "因为副作用而更换药物或调整剂量，不算开始新的一线治疗",
        "因為副作用而更換藥物或調整劑量",
    ):
        assert wrong not in page


def test_a_medicine_without_a_chinese_name_says_so_on_chinese_pages(app) -> None:
    from webapp.i18n import names

    rules = app.extensions["engine"].rules
    ide_cel = rules.products["idecabtagene-vicleucel"]
    assert ide_cel.zh_name == "none"
    with app.test_request_context("/?lang=zh-Hans"):
        assert names(ide_cel.names) == "idecabtagene vicleucel（暂无中文通用名）"
    with app.test_request_context("/?lang=zh-Hant"):
        assert names(ide_cel.names) == "idecabtagene vicleucel（暫無中文通用名）"
    with app.test_request_context("/?lang=en"):
        assert names(ide_cel.names) == "idecabtagene vicleucel"
    with app.test_request_context("/?lang=zh-Hans"):
        cilta = rules.products["ciltacabtagene-autoleucel"]
        assert names(cilta.names) == cilta.names.zh_Hans  # a registered name stands alone
        unconfirmed = [d for d in rules.drugs.values() if d.zh_name == "unconfirmed"]
        for drug in unconfirmed:
            assert names(drug.names).endswith("（中文名称未经确认）")


def test_zh_hant_pages_show_traditional_brand_forms(app) -> None:
    rules = app.extensions["engine"].rules
    eque = rules.products["equecabtagene-autoleucel"]
    assert eque.brand_in("CN") == "福可苏"
    assert eque.brand_in("CN", "zh_Hans") == "福可苏"
    assert eque.brand_in("CN", "zh_Hant") == "福可蘇"
    assert rules.products["zevorcabtagene-autoleucel"].brand_in("CN", "zh_Hant") == "賽愷澤"
    assert eque.brand_in("HK", "zh_Hant") == "Fucaso"  # no Traditional form given: the registered brand
    client = app.test_client()
    page = client.get("/labels/eque-cel-cn-2023?lang=zh-Hant").get_data(as_text=True)
    assert "福可蘇" in page  # the brand in the page's own script (quoted source text may still hold 福可苏)
