"""A realistic, synthetic Laibin-scale registry for the demo (DOMAIN.md).

Deterministic for a given seed: 13,300 active units (plus defunct "zombie"
records) over the six brigades, 30 industries, 8 building-size classes and 3
risk levels, key-unit / crowded-place flags and high-rise / e-bike tags; 24
inspectors in the brigades and the detachment's supervision section, split
into lead and assist pools, 71% of the seven teams with only 2-3 people; the
three collaboration zones; a handful of experts. Every name is invented and
marked as demo data; nothing here describes a real unit or person.

Also builds the demo's monthly routine draw plan with risk-based strata.
"""

from __future__ import annotations

import random
from typing import Any

# code name, Chinese name (DOMAIN.md)
BRIGADES: list[tuple[str, str]] = [
    ("xingbin", "兴宾"),
    ("heshan", "合山"),
    ("xiangzhou", "象州"),
    ("wuxuan", "武宣"),
    ("xincheng", "忻城"),
    ("jinxiu", "金秀"),
]
SUPERVISION_SECTION = ("hq", "支队防火监督科")
ZONES: dict[str, list[str]] = {
    "zone-1": ["hq", "xingbin"],
    "zone-2": ["wuxuan", "xiangzhou", "jinxiu"],
    "zone-3": ["heshan", "xincheng"],
}
# Inspectors per team: 5 of the 7 teams (71%) have only 2-3 people; 24 in all.
INSPECTORS_PER_TEAM = {
    "hq": 5, "xingbin": 6, "heshan": 3, "xiangzhou": 3, "wuxuan": 3, "xincheng": 2, "jinxiu": 2,
}
# Share of units per brigade (兴宾 is the city district).
BRIGADE_WEIGHTS = {"xingbin": 40, "heshan": 10, "xiangzhou": 13, "wuxuan": 14, "xincheng": 13,
                   "jinxiu": 10}

INDUSTRIES: list[tuple[str, str]] = [
    ("retail", "商场市场"), ("hotel", "宾馆饭店"), ("restaurant", "餐饮"),
    ("entertainment", "公共娱乐场所"), ("school", "学校"), ("kindergarten", "幼儿园"),
    ("hospital", "医院"), ("elderly_care", "养老机构"), ("office", "办公楼"),
    ("government", "机关团体"), ("factory", "工厂"), ("warehouse", "仓库"),
    ("hazmat_storage", "易燃易爆危险品仓储"), ("gas_station", "加油加气站"),
    ("chemical", "化工企业"), ("residential_high_rise", "高层住宅"),
    ("public_transport", "交通枢纽"), ("cultural_heritage", "文物古建筑"),
    ("library_museum", "图书馆博物馆"), ("sports_venue", "体育场馆"),
    ("religious", "宗教活动场所"), ("internet_cafe", "网吧"), ("cinema", "影剧院"),
    ("bath_center", "洗浴中心"), ("farm_market", "农贸市场"), ("logistics", "物流园区"),
    ("power", "电力设施"), ("telecom", "通信枢纽"), ("construction_site", "在建工地"),
    ("small_venue", "九小场所"),
]
CROWDED = {"retail", "hotel", "restaurant", "entertainment", "school", "kindergarten",
           "hospital", "elderly_care", "public_transport", "library_museum", "sports_venue",
           "religious", "internet_cafe", "cinema", "bath_center", "farm_market"}
FLAMMABLE = {"hazmat_storage", "gas_station", "chemical"}
SIZE_CLASSES = [f"s{i}" for i in range(1, 9)]
STREETS = ["中山路", "解放路", "人民路", "文化路", "建设路", "桂中大道", "城北路", "江南路",
           "迎宾路", "河西路"]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐韦覃蓝莫蒙"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玲文斌宁"

ACTIVE_UNITS = 13_300
DEFUNCT_UNITS = 700


def _pick_weighted(rng: random.Random, weights: dict[str, int]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def generate_units(seed: int = 2026, active: int = ACTIVE_UNITS,
                   defunct: int = DEFUNCT_UNITS) -> list[dict[str, Any]]:
    """Unit records (DESIGN.md §4) with extra public attributes `address` and
    `brigade_name` (the brigade's Chinese name, so a brigade can be named either
    way: `fairdraw assignments --brigade 合山`), and a private `phone` that the
    snapshot projection drops."""
    rng = random.Random(seed)
    brigade_names = dict(BRIGADES)
    units: list[dict[str, Any]] = []
    for i in range(active + defunct):
        brigade = _pick_weighted(rng, BRIGADE_WEIGHTS)
        # Half the units come from a few common industries, half spread evenly.
        skewed = rng.random() < 0.5
        pick = min(int(rng.paretovariate(1.2)) - 1, 29) if skewed else rng.randrange(30)
        industry, industry_zh = INDUSTRIES[pick]
        size = SIZE_CLASSES[min(7, int(rng.expovariate(0.6)))]
        big = SIZE_CLASSES.index(size) >= 4
        crowded = industry in CROWDED
        key = big or industry in FLAMMABLE or (crowded and rng.random() < 0.35)
        if industry in FLAMMABLE or (key and crowded and big):
            risk = "high"
        elif key or crowded:
            risk = rng.choice(["medium", "medium", "high", "low"])
        else:
            risk = rng.choice(["low", "low", "low", "medium"])
        tags = []
        if industry == "residential_high_rise" or (big and rng.random() < 0.5):
            tags.append("high_rise")
        if industry in {"residential_high_rise", "farm_market", "school", "logistics"} and \
                rng.random() < 0.4:
            tags.append("ebike_parking")
        units.append({
            "id": f"U{i + 1:06d}",
            "name": f"（演示）{brigade_names[brigade]}{industry_zh}{i + 1:05d}号",
            "brigade": brigade,
            "brigade_name": brigade_names[brigade],
            "status": "defunct" if i >= active else "active",
            "industry": industry,
            "size_class": size,
            "risk_level": risk,
            "key_unit": key,
            "crowded_place": crowded,
            "tags": sorted(tags),
            "address": (
                f"来宾市{brigade_names[brigade]}{rng.choice(STREETS)}{rng.randint(1, 999)}号"
            ),
            "phone": f"1{rng.randint(30, 99)}{rng.randint(0, 99_999_999):08d}",
        })
    rng.shuffle(units)  # registries arrive unsorted; snapshots sort by id
    return units


def generate_inspectors(seed: int = 2026) -> list[dict[str, Any]]:
    rng = random.Random(seed + 1)
    inspectors: list[dict[str, Any]] = []
    n = 0
    for team, size in INSPECTORS_PER_TEAM.items():
        for j in range(size):
            n += 1
            # Every team keeps at least one lead (主办); the rest assist (协办) or both.
            roles = ["lead", "assist"] if j == 0 or rng.random() < 0.4 else ["assist"]
            expired = n % 11 == 0  # a few certificates lapse: they must never be drawn
            inspectors.append({
                "id": f"I{n:03d}",
                "name": f"（演示）{rng.choice(SURNAMES)}{rng.choice(GIVEN)}{rng.choice(GIVEN)}",
                "brigade": team,
                "roles": roles,
                "status": "active",
                "cert_valid_until": "2026-06-30" if expired else f"20{rng.randint(27, 29)}-12-31",
                "phone": f"1{rng.randint(30, 99)}{rng.randint(0, 99_999_999):08d}",
            })
    return inspectors


def generate_experts(seed: int = 2026, count: int = 6) -> list[dict[str, Any]]:
    rng = random.Random(seed + 2)
    fields = ["electrical", "building_fire", "hazmat", "fire_protection_systems"]
    return [
        {
            "id": f"E{i + 1:03d}",
            "name": f"（演示）专家{rng.choice(SURNAMES)}{rng.choice(GIVEN)}",
            "field": fields[i % len(fields)],
            "status": "active",
        }
        for i in range(count)
    ]


def routine_strata() -> list[dict[str, Any]]:
    """Risk-based strata of the demo's monthly routine draw (local configuration)."""
    return [
        {"name": "high-risk-key-crowded",
         "match": {"risk_level": ["high"], "key_unit": [True], "crowded_place": [True]},
         "quota": {"ratio": "1/12", "min": 5, "reserve": 3}},
        {"name": "ebike-parking", "match": {"tags": ["ebike_parking"]},
         "quota": {"ratio": "1/30", "min": 3, "reserve": 2}},
        {"name": "high-risk", "match": {"risk_level": ["high"]},
         "quota": {"ratio": "1/40", "min": 5, "reserve": 2}},
        {"name": "key-units", "match": {"key_unit": [True]},
         "quota": {"ratio": "1/60", "reserve": 2}},
        {"name": "non-key", "match": {},
         "quota": {"ratio": "1/250", "min": 10, "reserve": 3}},
    ]


ROUTINE_STRATA_LABELS = {
    "high-risk-key-crowded": "高风险重点人员密集场所", "ebike-parking": "电动自行车集中停放场所",
    "high-risk": "高风险单位", "key-units": "消防安全重点单位", "non-key": "非重点单位",
}
"""Chinese display names of the routine strata (the operator console shows them)."""


def routine_teams() -> dict[str, Any]:
    return {"assistants": 1, "experts": 0, "scopes": ["zone", "detachment"],
            "exclude_own_brigade": False}
