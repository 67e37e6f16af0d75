"""A national-shaped organisation tree for load generation: 中国科协 at the root, the 31 provincial 科协 below it,
each with its cities, counties, development zones, provincial and city societies, universities and enterprises
(about 10,000 organisations).

Province names are the real ones; city and county names are synthetic but read like real ones. The shape
comes from `random.Random(seed)` alone, so two databases built with the same seed hold the same tree with the
same codes, whatever number of applications is generated over it. Nodes are written with `bulk_create` and
their MPTT columns computed here (siblings ordered by code, as `order_insertion_by` would place them): saving
10,000 nodes one by one through django-mptt takes minutes, this takes a second.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from django.db import connection, transaction

from orgs.models import Org
from orgs.services.tree import org_tree_lock

ROOT_NAME = "中国科学技术协会"
ROOT_CODE = "CAST"
# (abbreviation used in org codes, name); the abbreviations are the provinces' usual two-letter ones.
PROVINCES = [
    ("BJ", "北京市"), ("TJ", "天津市"), ("HE", "河北省"), ("SX", "山西省"), ("NM", "内蒙古自治区"),
    ("LN", "辽宁省"), ("JL", "吉林省"), ("HL", "黑龙江省"), ("SH", "上海市"), ("JS", "江苏省"), ("ZJ", "浙江省"),
    ("AH", "安徽省"), ("FJ", "福建省"), ("JX", "江西省"), ("SD", "山东省"), ("HA", "河南省"), ("HB", "湖北省"),
    ("HN", "湖南省"), ("GD", "广东省"), ("GX", "广西壮族自治区"), ("HI", "海南省"), ("CQ", "重庆市"),
    ("SC", "四川省"), ("GZ", "贵州省"), ("YN", "云南省"), ("XZ", "西藏自治区"), ("SN", "陕西省"), ("GS", "甘肃省"),
    ("QH", "青海省"), ("NX", "宁夏回族自治区"), ("XJ", "新疆维吾尔自治区"),
]
# Syllables place names are made of.
PLACE_FIRST = "安宝昌长崇大德定东丰福高广海汉和河华怀惠吉嘉建江金锦晋靖九开康兰乐黎临灵龙隆鹿罗满眉南宁平普齐青庆泉瑞三沙山上韶石寿双顺松太泰天通铜万威文武西仙湘新兴永玉元云枣湛漳正中周淄遵"
PLACE_SECOND = "安北滨昌城川春丹德定东都丰峰阜港河湖华化江津京康乐林陵宁平浦泉山水顺台潭塘通西溪乡阳远原源州庄"
SOCIETY_FIELDS = [
    "数学", "物理", "化学", "天文", "气象", "地理", "地质", "海洋", "生态", "动物", "植物", "昆虫", "微生物", "生物化学",
    "心理", "机械工程", "电机工程", "电子", "计算机", "自动化", "通信", "仪器仪表", "水利", "土木建筑", "公路",
    "铁道", "航空", "汽车工程", "能源研究", "核", "煤炭", "石油", "金属", "硅酸盐", "纺织工程", "造纸",
    "食品科学技术", "环境科学", "测绘地理信息", "农学", "林学", "土壤肥料", "植物保护", "园艺", "畜牧兽医", "水产",
    "农业机械", "茶叶", "蚕学", "医学", "中医药", "药学", "护理", "预防医学", "防痨", "抗癌", "营养", "科普作家",
    "科技新闻", "科学技术史", "自然辩证法", "科技咨询", "图书馆", "档案", "标准化", "质量", "管理科学", "系统工程",
    "人工智能", "材料研究", "稀土", "腐蚀与防护", "焊接", "铸造", "热处理", "制冷", "照明", "消防", "安全生产",
    "航海", "船舶工程", "城市规划", "风景园林", "给水排水", "岩石力学", "地震", "遥感", "生物医学工程", "针灸",
    "康复医学", "中西医结合", "兽医", "草业", "水土保持", "湿地保护", "野生动物保护", "科技教育", "青少年科技教育",
]
UNIVERSITY_TYPES = ["大学", "理工大学", "师范大学", "医科大学", "农业大学", "工业大学", "财经大学", "科技大学", "中医药大学",
                    "职业技术学院", "交通大学", "林业大学", "海洋大学", "石油大学", "建筑大学"]
ENTERPRISE_TYPES = ["钢铁集团", "电力公司", "建设投资集团", "交通投资集团", "化工集团", "煤业集团", "医药集团", "农业发展集团",
                    "装备制造集团", "信息产业集团", "能源集团", "水务集团"]
PARK_TYPES = ["高新技术产业开发区", "经济技术开发区", "农业科技园区", "综合保税区"]
KEXIE = "科学技术协会"


@dataclass
class _Node:
    code: str
    name: str
    level: str
    kind: str
    children: list[_Node] = field(default_factory=list)


def _place_names(rng: random.Random, count: int, taken: set[str]) -> list[str]:
    names = []
    while len(names) < count:
        name = rng.choice(PLACE_FIRST) + rng.choice(PLACE_SECOND)
        if name not in taken:
            taken.add(name)
            names.append(name)
    return names


def _province(rng: random.Random, abbr: str, name: str, taken: set[str]) -> _Node:
    L, K = Org.Level, Org.Kind
    short = name.removesuffix("省").removesuffix("市")
    for suffix in ("壮族自治区", "回族自治区", "维吾尔自治区", "自治区"):
        short = short.removesuffix(suffix)
    province = _Node(abbr, f"{name}{KEXIE}", L.PROVINCE, K.KEXIE)
    city_names = _place_names(rng, rng.randint(7, 14), taken)
    for c, city in enumerate(city_names, start=1):
        city_code = f"{abbr}{c:02d}"
        city_node = _Node(city_code, f"{city}市{KEXIE}", L.CITY, K.KEXIE)
        for k, county in enumerate(_place_names(rng, rng.randint(5, 13), taken), start=1):
            suffix = rng.choices(("县", "区", "市"), weights=(6, 3, 1))[0]
            city_node.children.append(_Node(f"{city_code}{k:02d}", f"{city}市{county}{suffix}{KEXIE}", L.COUNTY, K.KEXIE))
        for k, park in enumerate(rng.sample(PARK_TYPES, rng.randint(0, 2)), start=1):
            city_node.children.append(_Node(f"{city_code}P{k}", f"{city}{park}{KEXIE}", L.COUNTY, K.PARK))
        for k, fld in enumerate(rng.sample(SOCIETY_FIELDS, rng.randint(4, 10)), start=1):
            city_node.children.append(_Node(f"{city_code}S{k}", f"{city}市{fld}学会", L.CITY, K.SOCIETY))
        province.children.append(city_node)
    for k, fld in enumerate(rng.sample(SOCIETY_FIELDS, rng.randint(75, 95)), start=1):
        province.children.append(_Node(f"{abbr}S{k:03d}", f"{short}{fld}学会", L.PROVINCE, K.SOCIETY))
    named: set[str] = set()

    def unique(name: str) -> str:
        # Two employers of the same type in one place are told apart by a number.
        n, candidate = 1, name
        while candidate in named:
            n += 1
            candidate = f"{name.removesuffix(KEXIE)}（{n}）{KEXIE}"
        named.add(candidate)
        return candidate

    for k in range(1, rng.randint(10, 45) + 1):
        place = rng.choice(city_names) if rng.random() < 0.6 else short
        province.children.append(_Node(f"{abbr}U{k:02d}", unique(f"{place}{rng.choice(UNIVERSITY_TYPES)}{KEXIE}"),
                                       L.PROVINCE, K.UNIVERSITY))
    for k in range(1, rng.randint(5, 25) + 1):
        place = rng.choice(city_names) if rng.random() < 0.5 else short
        province.children.append(_Node(f"{abbr}E{k:02d}", unique(f"{place}{rng.choice(ENTERPRISE_TYPES)}{KEXIE}"),
                                       L.PROVINCE, K.ENTERPRISE))
    return province


def national_shape(seed: int) -> _Node:
    """The whole tree in memory, a pure function of `seed`."""
    rng = random.Random(f"national-tree-{seed}")
    taken: set[str] = set()
    root = _Node(ROOT_CODE, ROOT_NAME, Org.Level.NATIONAL, Org.Kind.KEXIE)
    root.children = [_province(rng, abbr, name, taken) for abbr, name in PROVINCES]
    return root


def orgs_build_national(*, seed: int) -> int:
    """Write the national tree into an empty organisation table; returns the number of organisations."""
    root = national_shape(seed)
    rows: list[Org] = []
    with transaction.atomic(), org_tree_lock():
        if Org.objects.exists():
            raise RuntimeError("organisation table is not empty")
        tree_id = 1
        next_pk = 1

        def place(node: _Node, parent_pk: int | None, depth: int, lft: int) -> int:
            nonlocal next_pk
            pk = next_pk
            next_pk += 1
            org = Org(pk=pk, parent_id=parent_pk, code=node.code, name=node.name, level=node.level, kind=node.kind,
                      tree_id=tree_id, depth=depth, lft=lft)
            rows.append(org)
            edge = lft + 1
            for child in sorted(node.children, key=lambda n: n.code):
                edge = place(child, pk, depth + 1, edge) + 1
            org.rght = edge
            return edge

        place(root, None, 0, 1)
        Org.objects.bulk_create(rows, batch_size=2_000)
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT setval(pg_get_serial_sequence('orgs_org', 'id'), (SELECT MAX(id) FROM orgs_org))")
    return len(rows)
