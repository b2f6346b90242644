"""Form controls as a person meets them: every label names a control, boxes sit beside
their labels in groups named by a legend, nothing is chosen for people that they must
choose themselves, and country lists read in the order of the reader's language."""

from html.parser import HTMLParser

import pytest

from forum.accounts.models import StakeholderGroup, User
from forum.accounts.services import find_user_by_email
from forum.boards.models import Role
from forum.extensions import db
from forum.i18n import collation_key
from tests.helpers import board, post_form, text_of

C5 = "/b/c5-building-confidence-and-security"


class _Controls(HTMLParser):
    """The page's ids and tags, its labels' `for`, its selects with their options, and
    the fieldsets' legends."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: dict[str, str] = {}
        self.label_fors: list[str] = []
        self.selects: list[dict] = []
        self.legends: list[str] = []
        self.order: list[tuple[str, dict]] = []
        self._select: dict | None = None
        self._option: dict | None = None
        self._legend: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list) -> None:
        attributes = dict(attrs)
        self.order.append((tag, attributes))
        if "id" in attributes:
            self.tags[attributes["id"]] = tag
        if tag == "label" and "for" in attributes:
            self.label_fors.append(attributes["for"])
        elif tag == "select":
            self._select = {**attributes, "options": []}
            self.selects.append(self._select)
        elif tag == "option" and self._select is not None:
            self._option = {**attributes, "text": ""}
            self._select["options"].append(self._option)
        elif tag == "legend":
            self._legend = []

    def handle_data(self, data: str) -> None:
        if self._option is not None:
            self._option["text"] += data
        if self._legend is not None:
            self._legend.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "option":
            self._option = None
        elif tag == "select":
            self._select = None
        elif tag == "legend" and self._legend is not None:
            self.legends.append("".join(self._legend).strip())
            self._legend = None


def _controls(response) -> _Controls:
    assert response.status_code in {200, 400}, response.status_code
    parsed = _Controls()
    parsed.feed(text_of(response))
    return parsed


def _form_pages(client, make_user, make_thread, sign_in) -> dict[str, _Controls]:
    thread = make_thread("C5")
    pages = {
        "register": client.get("/register"),
        "sign-in": client.get("/sign-in"),
        "search": client.get("/search?q=x"),
    }
    sign_in(make_user(admin=True, roles={"C5": Role.COORDINATOR}))
    for name, url in {
        "settings": "/settings",
        "mail settings": "/settings/mail",
        "board": C5,
        "thread": f"/t/{thread.id}",
        "new thread": f"{C5}/new",
        "flag": f"/p/{thread.first_post.id}/flag",
        "team": f"{C5}/team",
        "board settings": f"{C5}/settings",
        "thread tools": f"/t/{thread.id}/moderate",
        "admin": "/admin/",
    }.items():
        pages[name] = client.get(url)
    return {name: _controls(response) for name, response in pages.items()}


def test_every_label_names_a_control_and_required_selects_start_empty(
    client, make_user, make_thread, sign_in
):
    problems = []
    for name, page in _form_pages(client, make_user, make_thread, sign_in).items():
        for target in page.label_fors:
            tag = page.tags.get(target)
            if tag not in {"input", "select", "textarea"}:
                problems.append(f"{name}: label for {target!r} names a {tag}")
        for select in page.selects:
            if "required" in select:
                first = select["options"][0]
                if first.get("value") != "":
                    problems.append(f"{name}: required select {select.get('name')} starts "
                                    f"with {first}")  # fmt: skip
    assert not problems, "\n".join(problems)


def test_register_groups_the_boards_to_follow_with_each_box_beside_its_label(client):
    page = _controls(client.get("/register"))
    assert "Boards to follow by email" in page.legends
    boxes = [attrs for tag, attrs in page.order if attrs.get("type") == "checkbox"]
    assert boxes, "one box per board"
    for box in boxes:
        at = page.order.index(("input", box))
        assert page.order[at + 1] == ("label", {"for": box["id"]}), "the label comes after it"
    assert "follow_boards" not in page.label_fors


def test_radio_buttons_are_grouped_under_a_legend(client, make_user, sign_in):
    sign_in(make_user())
    page = _controls(client.get("/settings/mail"))
    assert {"Format", "Digests"} <= set(page.legends)
    radios = [attrs for tag, attrs in page.order if attrs.get("type") == "radio"]
    assert len(radios) >= 4
    for radio in radios:
        at = page.order.index(("input", radio))
        assert page.order[at + 1] == ("label", {"for": radio["id"]})


def _select(page: _Controls, name: str) -> dict:
    return next(select for select in page.selects if select["name"] == name)


def test_nobody_is_put_in_a_stakeholder_group_they_did_not_choose(client):
    group = _select(_controls(client.get("/register")), "stakeholder_group")
    assert "required" in group
    assert group["options"][0] == {"value": "", "text": "— Choose a group —"}
    assert not any("selected" in option for option in group["options"])
    response = post_form(
        client, "/register",
        {"display_name": "Amina Hassan", "email": "amina@example.org",
         "password": "a long enough passphrase", "confirm": "a long enough passphrase",
         "stakeholder_group": "", "follow_mode": "weekly"},
    )  # fmt: skip
    assert response.status_code == 400
    page = text_of(response)
    assert "Choose the stakeholder group you belong to." in page
    assert 'value="Amina Hassan"' in page
    assert 'aria-invalid="true"' in page


def test_settings_keep_the_persons_own_group(client, make_user, sign_in):
    sign_in(make_user())
    group = _select(_controls(client.get("/settings")), "profile-stakeholder_group")
    chosen = [option["value"] for option in group["options"] if "selected" in option]
    assert chosen == ["civil_society"]


@pytest.mark.parametrize("where", ["team", "admin"])
def test_adding_someone_chooses_no_group_for_them(client, make_user, sign_in, where):
    sign_in(make_user(admin=True, roles={"C5": Role.COORDINATOR}))
    page = _controls(client.get(f"{C5}/team" if where == "team" else "/admin/"))
    group = _select(page, "stakeholder_group")
    assert group["options"][0] == {"value": "", "text": "— Choose a group —"}
    assert not any("selected" in option for option in group["options"])
    assert "required" not in group, "an existing account needs no group"


def _add(client, where: str, **fields: str):
    if where == "team":
        return post_form(client, f"{C5}/team/add", fields)
    return post_form(client, "/admin/grant", {"board": str(board("C5").id), "role": "member",
                                              **fields})  # fmt: skip


@pytest.mark.parametrize("where", ["team", "admin"])
def test_inviting_an_address_asks_for_the_group_and_keeps_what_was_typed(
    client, make_user, sign_in, where
):
    sign_in(make_user(admin=True, roles={"C5": Role.COORDINATOR}))
    response = _add(client, where, email="wanjiru@example.org", display_name="Wanjiru Kamau",
                    organisation="KICTANet", stakeholder_group="")  # fmt: skip
    assert response.status_code == 400
    page = text_of(response)
    assert "Choose the stakeholder group of the person you invite." in page
    assert 'value="Wanjiru Kamau"' in page
    assert 'value="KICTANet"' in page
    assert 'aria-invalid="true"' in page
    assert find_user_by_email("wanjiru@example.org") is None
    response = _add(client, where, email="wanjiru@example.org", display_name="",
                    stakeholder_group="")  # fmt: skip
    page = text_of(response)
    assert "No account uses this address: give a name to invite them." in page
    assert "Choose the stakeholder group of the person you invite." in page
    response = _add(client, where, email="wanjiru@example.org", display_name="Wanjiru Kamau",
                    stakeholder_group="academic_technical")  # fmt: skip
    assert response.status_code == 302
    invited = find_user_by_email("wanjiru@example.org")
    assert invited.stakeholder_group == StakeholderGroup.ACADEMIC_TECHNICAL
    assert board("C5").id in {role.board_id for role in invited.board_roles}


@pytest.mark.parametrize("where", ["team", "admin", "person page"])
def test_adding_an_existing_account_keeps_its_own_group(client, make_user, sign_in, where):
    person = make_user(group=StakeholderGroup.GOVERNMENT)
    admin = make_user(admin=True, roles={"C5": Role.COORDINATOR})
    sign_in(admin)
    if where == "person page":
        form = _controls(client.get(f"/admin/people/{person.id}"))
        assert not [select for select in form.selects if select["name"] == "stakeholder_group"]
        assert not [attrs for tag, attrs in form.order
                    if attrs.get("name") == "stakeholder_group"]  # fmt: skip
    response = _add(client, "team" if where == "team" else "admin", email=person.email)
    assert response.status_code == 302
    db.session.expire_all()
    again = db.session.get(User, person.id)
    assert again.stakeholder_group == StakeholderGroup.GOVERNMENT
    assert [(role.board_id, role.role) for role in again.board_roles] == [
        (board("C5").id, Role.MEMBER)
    ]


def test_inviting_on_the_command_line_needs_the_group(app, make_user):
    make_user(admin=True)
    grant = ["forum", "grant", "--board", "c5-building-confidence-and-security",
             "--role", "member", "lin@example.org", "--name", "Lin Wei"]  # fmt: skip
    result = app.test_cli_runner().invoke(args=grant)
    assert result.exit_code != 0
    assert "Choose the stakeholder group of the person you invite." in result.output
    assert find_user_by_email("lin@example.org") is None
    result = app.test_cli_runner().invoke(args=[*grant, "--group", "private_sector"])
    assert result.exit_code == 0, result.output
    invited = find_user_by_email("lin@example.org")
    assert invited.stakeholder_group == StakeholderGroup.PRIVATE_SECTOR


def _countries(client, language: str) -> list[str]:
    page = _controls(client.get("/register", headers={"Accept-Language": language}))
    return [option["text"] for option in _select(page, "country")["options"][1:]]


@pytest.mark.parametrize(
    ("language", "first", "then"),
    [
        ("en", "Afghanistan", "Åland Islands"),  # Åland among the A's, not after Zimbabwe
        ("fr", "Érythrée", "Espagne"),  # É among the E's, not after Z
        ("ru", "Австрия", "Азербайджан"),
        ("zh-CN", "阿尔巴尼亚", "阿尔及利亚"),  # by pinyin: ā'ěrbāníyà first
    ],
)
def test_countries_are_in_the_order_of_the_readers_language(client, language, first, then):
    countries = _countries(client, language)
    assert len(countries) > 240
    assert countries.index(then) == countries.index(first) + 1, countries[:8]
    assert countries[-1] not in {"Åland Islands", "Îles Åland"}


def test_collation_follows_each_languages_rules():
    words = ["oasis", "ñu", "nube"]
    assert sorted(words, key=collation_key("es")) == ["nube", "ñu", "oasis"]
    assert sorted(words, key=collation_key("en")) == ["ñu", "nube", "oasis"]
    assert sorted(["Zambia", "Åland", "Angola"], key=collation_key("en")) == [
        "Åland", "Angola", "Zambia"
    ]  # fmt: skip
    assert sorted(["中国", "阿富汗"], key=collation_key("zh_Hans")) == ["阿富汗", "中国"]
