"""The layout helpers catch what they are meant to catch: each runs on a page built to fail it."""

import pytest

from tests.browser.conftest import PHONE
from tests.browser.layout import (
    assert_error_summary_on_top,
    assert_focus_visible,
    assert_labels_and_contrast,
    assert_no_broken_cells,
)

GOOD_TABLE = """<main><h1>名册</h1><div style="overflow-x:auto"><table id="t" style="width:100%">
<tr><td style="word-break:keep-all">石家庄市井陉县科学技术协会</td><td style="white-space:nowrap">X2026-HB015-00001</td>
<td style="white-space:nowrap">2026-03-01 10:00</td></tr></table></div></main>"""


@pytest.mark.browser
def test_a_name_number_or_date_broken_inside_a_word_is_reported(new_page):
    page = new_page(viewport=PHONE)
    page.set_content(GOOD_TABLE)
    assert_no_broken_cells(page)
    page.set_content("""<table id="t" style="width:120px"><tr><td style="overflow-wrap:anywhere">石家庄市井陉县科学技术协会</td>
        <td style="overflow-wrap:anywhere">X2026-HB015-00001</td><td>2026-03-01</td></tr></table>""")
    with pytest.raises(AssertionError) as failed:
        assert_no_broken_cells(page)
    assert "「石家庄市井陉县科学技术协会」" in str(failed.value) and "「X2026-HB015-00001」" in str(failed.value)
    # A sentence the page marks as free text may wrap.
    page.set_content("""<table><tr><td class="wrap" style="width:60px">获得县级及以上科技奖励</td></tr></table>""")
    assert_no_broken_cells(page)


@pytest.mark.browser
def test_a_wrapping_badge_and_a_page_wider_than_the_phone_are_reported(new_page):
    page = new_page(viewport=PHONE)
    page.set_content("""<div style="width:30px"><span class="badge">待审核</span></div>""")
    with pytest.raises(AssertionError, match="徽章或按钮折成"):
        assert_no_broken_cells(page)
    page.set_content("""<table id="wide" style="width:900px"><tr><td>甲</td></tr></table>""")
    with pytest.raises(AssertionError) as failed:
        assert_no_broken_cells(page)
    assert "页面横向溢出" in str(failed.value) and "#wide 比所在区域宽" in str(failed.value)


@pytest.mark.browser
def test_an_unlabelled_input_and_low_contrast_text_are_reported(new_page):
    page = new_page()
    page.set_content("""<label for="a">姓名</label><input id="a"><input aria-label="搜索" type="search">
        <p style="color:#222;background:#fff">正文</p>""")
    assert_labels_and_contrast(page)
    page.set_content("""<input id="nolabel" name="q"><p style="color:#aaa;background:#fff">浅灰色文字</p>
        <input id="faint" aria-label="几乎看不见的输入框" style="border:1px solid #e5e7eb">
        <div style="background:#b71c1c"><span style="color:#fff;opacity:.3">半透明</span></div>""")
    with pytest.raises(AssertionError) as failed:
        assert_labels_and_contrast(page)
    message = str(failed.value)
    assert "输入框没有标签：input#nolabel" in message
    assert "「浅灰色文字」" in message and "「半透明」" in message
    assert "输入框边框对比度" in message and "input#faint" in message


@pytest.mark.browser
def test_an_error_summary_below_the_heading_or_focus_elsewhere_is_reported(new_page):
    page = new_page()
    page.set_content("""<main><div class="error-summary" role="alert" tabindex="-1"><a href="#id_x">理由：必填</a></div>
        <h1>标题</h1><input id="id_x" aria-invalid="true" aria-label="理由"></main>""")
    page.focus("#id_x")
    assert_error_summary_on_top(page)
    page.set_content("""<main><h1>标题</h1><div class="error-summary" role="alert"><a href="#gone">理由：必填</a></div>
        <input id="id_x" aria-invalid="true" aria-label="理由"></main>""")
    with pytest.raises(AssertionError) as failed:
        assert_error_summary_on_top(page)
    message = str(failed.value)
    assert "不在页面标题之上" in message and "#gone" in message and "焦点不在第一个出错的字段上" in message


@pytest.mark.browser
def test_a_control_without_a_focus_ring_is_reported(new_page):
    page = new_page()
    page.set_content("""<style>a:focus { outline: none; }</style><a href="#x">没有焦点框</a>""")
    with pytest.raises(AssertionError, match="没有可见的焦点框"):
        assert_focus_visible(page, presses=1)
