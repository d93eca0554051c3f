"""The page registry: every page, its menu section and the roles that see it in the menu.

Kept apart from app.py so that tests (the role matrix) can read it without running the app.
Each page still checks the role itself with `ui.access.require_role`.
"""

from __future__ import annotations

from dataclasses import dataclass

from ui.access import ADMIN_ROLES, DASHBOARD_ROLES, EVERYONE, EXPORT_ROLES


@dataclass(frozen=True)
class PageEntry:
    section: str  # text key of the menu section
    path: str  # page file, relative to the repository root
    title: str  # text key of the page title
    icon: str
    url_path: str
    roles: tuple[str, ...] | None  # None (EVERYONE): also visitors who are not signed in
    signed_out_only: bool = False  # in the menu only while nobody is signed in (the sign-in page)


PAGES: list[PageEntry] = [
    PageEntry(
        "section_results", "views/overview.py", "overview_title", ":material/grid_on:", "overview", DASHBOARD_ROLES
    ),
    PageEntry(
        "section_results", "views/hotspots.py", "hotspots_title", ":material/warning:", "hotspots", DASHBOARD_ROLES
    ),
    PageEntry(
        "section_results", "views/department.py", "dept_title", ":material/apartment:", "department", DASHBOARD_ROLES
    ),
    PageEntry(
        "section_results", "views/trends.py", "trends_title", ":material/trending_up:", "trends", DASHBOARD_ROLES
    ),
    PageEntry("section_results", "views/network.py", "network_title", ":material/hub:", "network", DASHBOARD_ROLES),
    PageEntry(
        "section_results",
        "views/methodology.py",
        "method_title",
        ":material/menu_book:",
        "methodology",
        DASHBOARD_ROLES,
    ),
    PageEntry(
        "section_results", "views/actions.py", "actions_title", ":material/handshake:", "actions", DASHBOARD_ROLES
    ),
    PageEntry("section_staff", "views/survey.py", "survey_title", ":material/rate_review:", "survey", EVERYONE),
    PageEntry("section_data", "views/data_exports.py", "exports_title", ":material/download:", "data", EXPORT_ROLES),
    PageEntry(
        "section_admin", "views/admin_org.py", "admin_org_title", ":material/account_tree:", "admin_org", ADMIN_ROLES
    ),
    PageEntry(
        "section_admin", "views/admin_waves.py", "admin_waves_title", ":material/event:", "admin_waves", ADMIN_ROLES
    ),
    PageEntry(
        "section_admin",
        "views/admin_invitations.py",
        "admin_invitations_title",
        ":material/forward_to_inbox:",
        "admin_invitations",
        ADMIN_ROLES,
    ),
    PageEntry(
        "section_admin", "views/admin_users.py", "admin_users_title", ":material/group:", "admin_users", ADMIN_ROLES
    ),
    PageEntry(
        "section_admin", "views/admin_audit.py", "admin_audit_title", ":material/history:", "admin_audit", ADMIN_ROLES
    ),
    PageEntry(
        "section_account",
        "views/sign_in.py",
        "auth_menu_title",
        ":material/login:",
        "sign_in",
        EVERYONE,
        signed_out_only=True,
    ),
]


def visible_pages(role: str | None) -> list[PageEntry]:
    """The pages the menu offers to `role` (None: not signed in)."""
    return [
        p for p in PAGES if (p.roles is EVERYONE or role in p.roles) and not (p.signed_out_only and role is not None)
    ]


def home_page(role: str | None) -> PageEntry | None:
    """The page a visitor lands on: the sign-in page when signed out, else the first page of the menu."""
    shown = visible_pages(role)
    if role is None:
        return next((p for p in shown if p.signed_out_only), shown[0] if shown else None)
    return next((p for p in shown if p.roles is not EVERYONE), shown[0] if shown else None)
