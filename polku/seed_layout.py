"""Where `polku seed` puts its cases: employment areas, each with its manager and officials and the
providers it follows, each provider with its coaches. Sized from the cases each area has running, so
that a user carries what a real one does however many cases are seeded: an official is responsible
for up to OFFICIAL_CASES running cases, a provider coaches up to PROVIDER_CASES and declares places
for its share with some slack, a coach holds up to COACH_PLACES places.

Area 1 is the demo's (its officials virkailija1/2, its manager esihenkilo, its providers Valmennus Oy
and Polku Coaching Ab with their coaches valmentaja1/2 first); areas 2..K are `Työllisyysalue K`,
each with a manager `esihenkiloK`. Further officials (`virkailijaN`), providers (`Valmennuspolku N
Oy`) and coaches (`valmentajaN`) are numbered on across the areas. A provider belongs to the area
whose manager started its follow-up (the follow-up instance's organisations), as the demo's do.

Cases are dealt in turns (`Turns`): over the areas, then within an area over its officials and
providers, and within a provider over its coaches; running and finished cases each on their own
turns, so every one gets an even share of both. The template cases, run in the demo's home, count
in the turns as if dealt.
"""
from __future__ import annotations

import heapq
import itertools
import math
import random
from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy import select, update

from polku.domain.models import Provider
from polku.engine import accounts, instances, users
from polku.engine.models import Organisation, User

from .seed_clone import Home
from .seed_paths import MANAGER, OFFICIAL

OFFICIAL_CASES = 120  # running cases an official is responsible for
PROVIDER_CASES = 60  # running cases a provider coaches
COACH_PLACES = 25  # places one coach holds
SLACK = 1.1  # places declared over the running cases
YEARLY = 3  # a case runs about four months: a place serves three clients a year
# The seed's staff log in with the demo's scheme, `<username>-demo`: a password anyone can read off
# the README, which no hashing cost protects. One cheap iteration instead of scrypt's ~150 ms each
# (1,000 users at 100,000 cases); verifying reads the method from the stored hash.
STAFF_PASSWORD_METHOD = "pbkdf2:sha256:1"


@dataclass
class ProviderPlan:
    name: str
    coaches: list[str]
    places: int
    id: int = 0


@dataclass
class AreaPlan:
    name: str
    manager: str
    officials: list[str]
    providers: list[ProviderPlan] = field(default_factory=list)
    id: int = 0


def _demo():
    from .serve_cli import DEMO_PROVIDERS, DEMO_USERS  # serve_cli imports cli, which imports the seed

    area = next(org for u, _n, _r, org, _k in DEMO_USERS if u == MANAGER)
    officials = [u for u, _n, roles, org, _k in DEMO_USERS if "official" in roles and org == area]
    coaches = {org: u for u, _n, roles, org, _k in DEMO_USERS if "coach" in roles}
    return area, officials, coaches, DEMO_PROVIDERS


def demo_home(provider: str, ids: dict[str, int]) -> Home:
    """The home the template cases run in: the demo area, its manager and first official, and
    `provider` (a demo provider) with its demo coach."""
    area, _officials, coaches, _providers = _demo()
    return Home(area, MANAGER, OFFICIAL, provider, coaches[provider], ids[area], ids[provider])


def plan(running: list[int]) -> list[AreaPlan]:
    """The areas and their staff, for `running[k]` running cases in area k + 1."""
    demo_area, demo_officials, demo_coaches, demo_providers = _demo()
    official_no = itertools.count(len(demo_officials) + 1)
    provider_no = itertools.count(len(demo_providers) + 1)
    coach_no = itertools.count(len(demo_coaches) + 1)
    areas = []
    for k, run in enumerate(running, 1):
        first = k == 1
        area = AreaPlan(demo_area if first else f"Työllisyysalue {k}", MANAGER if first else f"{MANAGER}{k}",
                        list(demo_officials) if first else [])
        wanted = max(2, math.ceil(run / OFFICIAL_CASES))
        area.officials += [f"virkailija{next(official_no)}" for _ in range(wanted - len(area.officials))]
        count = max(2, math.ceil(run / PROVIDER_CASES))
        names = list(demo_providers) if first else []
        names += [f"Valmennuspolku {next(provider_no)} Oy" for _ in range(count - len(names))]
        places = max(1, math.ceil(math.ceil(run / count) * SLACK))  # the largest share, as turns deal
        for name in names:
            coaches = [demo_coaches[name]] if name in demo_coaches else []
            coaches += [f"valmentaja{next(coach_no)}"
                        for _ in range(max(1, math.ceil(places / COACH_PLACES)) - len(coaches))]
            area.providers.append(ProviderPlan(name, coaches, places))
        areas.append(area)
    return areas


def establish(env, areas: list[AreaPlan]) -> None:
    """Makes what is missing: users (with their organisations), and each provider's register entry
    through the provider follow-up process, started by its area's manager. The demo's providers,
    registered by `demo`, have their places raised to the plan's when it asks for more. Fills in the
    areas' and providers' ids."""
    from .serve_cli import DEMO_PROVIDERS, demo_password

    entry = DEMO_PROVIDERS[next(iter(DEMO_PROVIDERS))]
    for area in areas:
        staff = [(area.manager, "manager", area.name, "area"), *((u, "official", area.name, "area")
                                                                 for u in area.officials)]
        staff += [(c, "coach", p.name, "provider") for p in area.providers for c in p.coaches]
        with env.uow() as uow:
            existing = set(uow.session.scalars(select(User.username).where(User.username.in_([s[0] for s in staff]))))
            for username, role, org, kind in staff:
                if username not in existing:
                    users.add_user(uow, "system", username, [role], org, kind, username,
                                   accounts.hash_password(demo_password(username), STAFF_PASSWORD_METHOD))
            uow.commit()
        for p in area.providers:
            with env.uow() as uow:
                org_id = uow.session.scalar(select(Organisation.id).where(Organisation.name == p.name))
                if uow.session.scalar(select(Provider.id).where(Provider.organisation_id == org_id)) is None:
                    instances.start(uow, env.runtime, area.manager, "provider_follow_up",
                                    {**entry, "provider": p.name, "places_at_once": p.places,
                                     "places_per_year": p.places * YEARLY})
                else:
                    uow.session.execute(update(Provider).where(Provider.organisation_id == org_id,
                                                               Provider.places_at_once < p.places)
                                        .values(places_at_once=p.places, places_per_year=p.places * YEARLY))
                uow.commit()
    with env.uow(write=False) as uow:
        ids = organisation_ids(uow.session)
    for area in areas:
        area.id = ids[area.name]
        for p in area.providers:
            p.id = ids[p.name]


def organisation_ids(session) -> dict[str, int]:
    return dict(session.execute(select(Organisation.name, Organisation.id)).all())


class Turns:
    """Indices handed out in turn, per key: always one of those with the fewest so far, counting
    those placed by hand (`place`) too. Ties go by a random draw (`rng`, so the same seed deals
    the same): with plain order, an area's k-th official would refer all cases to its k-th provider."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.heaps: dict[object, list[tuple[int, float, int]]] = {}
        self.counts: dict[object, Counter[int]] = {}

    def place(self, key: object, index: int) -> None:
        self.counts.setdefault(key, Counter())[index] += 1

    def next(self, key: object, n: int) -> int:
        if key not in self.heaps:
            self.heaps[key] = [(0, self.rng.random(), i) for i in range(n)]
            heapq.heapify(self.heaps[key])
        heap, counts = self.heaps[key], self.counts.setdefault(key, Counter())
        while True:
            had, _draw, i = heapq.heappop(heap)
            if had == counts[i]:
                break
            heapq.heappush(heap, (counts[i], self.rng.random(), i))  # placed by hand since: back in line
        counts[i] += 1
        heapq.heappush(heap, (counts[i], self.rng.random(), i))
        return i


class Dealer:
    """Deals the copies to homes (`areas` planned and established)."""

    def __init__(self, areas: list[AreaPlan], turns: Turns):
        self.areas, self.turns = areas, turns

    def template(self, provider: int, running: bool) -> None:
        """A template case, run in area 1 by its first official, on demo provider `provider`, by its
        first coach."""
        for key, index in (((0, running, "official"), 0), ((0, running, "provider"), provider),
                           ((0, provider, running, "coach"), 0)):
            self.turns.place(key, index)

    def home(self, a: int, running: bool) -> Home:
        area = self.areas[a]
        official = area.officials[self.turns.next((a, running, "official"), len(area.officials))]
        p = self.turns.next((a, running, "provider"), len(area.providers))
        provider = area.providers[p]
        coach = provider.coaches[self.turns.next((a, p, running, "coach"), len(provider.coaches))]
        return Home(area.name, area.manager, official, provider.name, coach, area.id, provider.id)


def deal_areas(cells: list[tuple[bool, int, int]], areas: int, turns: Turns) -> list[list[int]]:
    """For each cell (running, templates, cases), the area index of each of its cases: the
    templates in area 1, the others in turn."""
    dealt = []
    for running, templates, count in cells:
        for _ in range(templates):
            turns.place(("area", running), 0)
        dealt.append([0] * templates + [turns.next(("area", running), areas) for _ in range(count - templates)])
    return dealt
