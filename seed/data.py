"""The words of the demo town: places, teams, people, the menu and what residents say.

All fictional. The shape follows the field figures in PRODUCT.md (a county 总队 → 支队 → 小队,
one 所 with a dozen villages, a two-year history of orders).
"""

from __future__ import annotations

CENTRE = "青山县新时代文明实践中心"
STATION = "云溪镇新时代文明实践所"

# (name, relative size): bigger villages ask for more services.
VILLAGES: tuple[tuple[str, int], ...] = (
    ("东岭村", 5), ("河口社区", 7), ("西山村", 4), ("石桥村", 4), ("柳塘村", 3),
    ("杏花村", 3), ("南湖社区", 6), ("枫林村", 3), ("青石村", 2), ("上坪村", 2),
    ("梅岭村", 3), ("桃源村", 4), ("白沙村", 3), ("新街社区", 5),
)

# Category indexes follow services.catalog.DEFAULT_CATEGORIES:
# 0 理论宣讲 · 1 教育服务 · 2 文化服务 · 3 科技与科普服务 · 4 健康促进与体育服务 · 5 便民惠民服务
CATEGORY_WEIGHTS = (18, 14, 18, 13, 21, 16)

# (key, name, tier, parent key, village or None for the 所, categories, order weight)
TEAMS: tuple[tuple[str, str, str, str | None, str | None, tuple[int, ...], float], ...] = (
    ("corps", "云溪镇新时代文明实践志愿服务总队", "corps", None, None, (0, 2), 0.3),
    ("d_theory", "理论宣讲支队", "detachment", "corps", None, (0,), 1.2),
    ("d_culture", "文化教育支队", "detachment", "corps", None, (1, 2), 1.2),
    ("d_health", "卫生健康支队", "detachment", "corps", None, (4,), 1.2),
    ("d_service", "科技便民支队", "detachment", "corps", None, (3, 5), 1.2),
    ("s_party", "党员先锋宣讲小队", "squad", "d_theory", None, (0,), 5),
    ("s_voices", "百姓名嘴宣讲小队", "squad", "d_theory", None, (0,), 4),
    ("s_law", "法治宣传小队", "squad", "d_theory", None, (0, 5), 3),
    ("s_class", "四点半课堂小队", "squad", "d_culture", None, (1,), 5),
    ("s_arts", "文艺轻骑兵小队", "squad", "d_culture", None, (2,), 5),
    ("s_women", "东岭村巾帼文艺小队", "squad", "d_culture", "东岭村", (2, 1), 3),
    ("s_doctor", "家庭医生义诊小队", "squad", "d_health", None, (4,), 6),
    ("s_neigh", "河口社区邻里帮小队", "squad", "d_health", "河口社区", (5, 4), 3),
    ("s_farm", "农技服务小队", "squad", "d_service", None, (3,), 5),
    ("s_science", "科普宣传小队", "squad", "d_service", None, (3, 1), 3),
    ("s_helper", "便民服务小队", "squad", "d_service", None, (5,), 5),
)
LEAD_TEAM = "s_doctor"  # the demo `lead` account leads this squad

# Profiles say who benefits: weights over elderly, children, disabled, low_income, women, general.
PROFILES: dict[str, tuple[int, int, int, int, int, int]] = {
    "all": (3, 1, 1, 1, 2, 6),
    "elderly": (8, 0, 2, 2, 2, 2),
    "children": (1, 9, 1, 1, 2, 1),
    "women": (2, 1, 0, 1, 8, 2),
    "farmers": (2, 0, 0, 2, 2, 8),
    "needy": (4, 1, 3, 6, 1, 1),
}

# (category, title, profile, expected beneficiaries low, high, description)
MENU: tuple[tuple[int, str, str, int, int, str], ...] = (
    (0, "政策宣讲进村组", "all", 30, 120, "用群众听得懂的话讲解惠农政策和党的创新理论"),
    (0, "党的创新理论微宣讲", "all", 20, 80, "十五分钟一个主题的小板凳宣讲"),
    (0, "法治宣传进万家", "all", 30, 100, "民法典、反诈、婚姻家庭等常用法律知识宣讲"),
    (0, "移风易俗宣讲", "all", 30, 90, "倡导婚事新办、丧事简办，抵制高价彩礼"),
    (0, "红色故事会", "children", 20, 70, "老党员讲述本地革命故事"),
    (1, "四点半课堂", "children", 10, 40, "放学后的作业辅导和兴趣课"),
    (1, "家庭教育讲座", "women", 20, 60, "家长课堂：亲子沟通与习惯养成"),
    (1, "暑期青少年托管", "children", 15, 50, "暑假期间的看护、阅读和安全教育"),
    (1, "老年大学书法班", "elderly", 10, 30, "每周一次的书法兴趣班"),
    (1, "防溺水安全教育", "children", 30, 150, "汛期前进校园、进村组的防溺水教育"),
    (2, "文艺汇演", "all", 80, 300, "村晚、节庆文艺演出"),
    (2, "送电影下乡", "all", 40, 150, "露天电影放映"),
    (2, "广场舞培训", "women", 15, 50, "广场舞和健身操教学"),
    (2, "农家书屋读书会", "all", 10, 30, "读书分享和图书借阅推广"),
    (2, "写春联送福字", "all", 50, 200, "春节前书法志愿者现场写春联"),
    (3, "农技指导", "farmers", 15, 60, "果蔬种植、病虫害防治田间指导"),
    (3, "老年人智能手机培训", "elderly", 10, 40, "教老人用手机挂号、视频通话、防诈骗"),
    (3, "防范电信诈骗科普", "all", 30, 120, "常见诈骗手法和防范要点"),
    (3, "科普大篷车进校园", "children", 60, 200, "科普展品和趣味实验"),
    (3, "电商直播培训", "farmers", 10, 35, "农产品网店和直播带货入门"),
    (4, "义诊进社区", "elderly", 40, 150, "测血压血糖、健康咨询、慢病随访"),
    (4, "健康知识讲座", "all", 30, 100, "常见病预防和合理用药"),
    (4, "心理健康咨询", "all", 10, 40, "一对一倾听和心理疏导"),
    (4, "全民健身指导", "all", 20, 80, "健身器材使用和太极拳、八段锦教学"),
    (4, "中医理疗进乡村", "elderly", 20, 80, "针灸推拿和中医养生咨询"),
    (5, "理发义剪", "elderly", 15, 60, "为老人、残疾人上门或集中理发"),
    (5, "家电义务维修", "all", 15, 50, "小家电、电路免费检修"),
    (5, "法律咨询服务", "all", 10, 40, "律师志愿者现场答疑"),
    (5, "代办跑腿帮办", "needy", 5, 20, "医保、社保等事项代办"),
    (5, "关爱空巢老人上门探访", "elderly", 5, 25, "上门陪伴、打扫卫生、检查安全隐患"),
    (5, "爱心助餐", "needy", 10, 40, "为困难老人送餐"),
)

# Needs that fit no menu item, per category: (title, profile, low, high).
FREE_NEEDS: dict[int, tuple[tuple[str, str, int, int], ...]] = {
    0: (("讲解新农合医保缴费政策", "all", 20, 80), ("宣讲耕地保护政策", "farmers", 20, 60)),
    1: (("留守儿童作业辅导", "children", 5, 20), ("开展青少年普通话朗读活动", "children", 10, 30)),
    2: (("帮助排练村晚节目", "women", 10, 30), ("调试村文化广场音响设备", "all", 30, 100)),
    3: (("果树病虫害防治现场指导", "farmers", 5, 25), ("教村民使用网上缴费", "elderly", 10, 30)),
    4: (("高血压患者上门随访", "elderly", 5, 20), ("为残疾人提供康复训练指导", "needy", 3, 12)),
    5: (("为独居老人检修家中电路", "elderly", 2, 8), ("帮助困难户搬运过冬物资", "needy", 2, 10)),
}

# Local month → the campaign of activities the centre plans itself that month.
CAMPAIGNS: dict[int, str] = {
    1: "迎新春送温暖", 2: "迎新春送温暖", 3: "学雷锋志愿服务月", 4: "清明文明祭扫",
    5: "全民健身月", 6: "防溺水安全宣传", 7: "暑期关爱留守儿童", 8: "暑期关爱留守儿童",
    9: "开学季安全教育", 10: "重阳敬老", 11: "消防宣传月", 12: "国家宪法日宣传",
}
CAMPAIGN_BOOST = {3: 1.35, 1: 1.15, 10: 1.15, 2: 0.8, 7: 1.1}  # seasonal demand

# Groups that answer the needs survey together, by who the service is for.
RESPONDENTS_BY_PROFILE: dict[str, tuple[str, ...]] = {
    "all": ("村民小组", "村民代表", "党员群众"),
    "elderly": ("村敬老院", "老年协会", "幸福院"),
    "children": ("留守儿童之家", "村小学家长群"),
    "women": ("村妇女小组", "妇女之家"),
    "farmers": ("种植合作社", "养殖大户"),
    "needy": ("残疾人之家", "困难家庭帮扶组"),
}
RESPONDENTS: tuple[str, ...] = tuple(r for group in RESPONDENTS_BY_PROFILE.values() for r in group)

# Menu items that are only asked for in some local months.
SEASONS: dict[str, tuple[int, ...]] = {
    "写春联送福字": (12, 1, 2),
    "暑期青少年托管": (7, 8),
    "防溺水安全教育": (4, 5, 6, 7, 8),
    "四点半课堂": (3, 4, 5, 6, 9, 10, 11, 12),
}

DESCRIPTIONS = {
    "survey": "需求调查中{who}提出：希望开展“{title}”。",
    "walk_in": "{who}到实践站现场反映需求：{title}。",
    "phone": "{who}来电提出需求：{title}。",
    "letter": "{who}来信建议开展“{title}”。",
    "online": "群众通过线上点单提交：{title}。",
    "activity": "实践所计划组织的{campaign}主题活动。",
}

CANCEL_REASONS = ("群众需求已通过其他渠道解决", "天气原因活动取消", "与其他工单重复",
                  "申请人撤回需求", "场地暂不具备条件", "村里近期另有安排，活动改期后重新点单")
DECLINE_REASONS = ("队员外出培训，人手不足", "该时段已有其他服务安排", "服务内容超出本队专业范围",
                   "天气原因无法按期开展", "缺少所需设备，建议派给其他队伍")
COMPLETION_NOTES = ("活动顺利开展，群众反响良好。", "现场发放宣传资料，解答群众咨询。",
                    "服务结束后征求了群众意见，希望定期开展。", "按计划完成，已做好服务记录。",
                    "村两委协助组织，参与群众较多。", "")
RATING_COMMENTS = {
    5: ("服务非常周到，点赞！", "志愿者很耐心，希望常来。", "很实用，老人们都说好。", "", "", ""),
    4: ("挺好的，时间可以再长一点。", "内容不错，希望下次提前通知。", "", ""),
    3: ("一般，内容还可以更贴近需求。", "来的人少了点。", ""),
    2: ("等了好几天才来。", "讲的内容听不太懂。"),
    1: ("和我们要的服务不一样。", "约好的时间没来。"),
}
RATING_WEIGHTS = ((5, 60), (4, 28), (3, 7), (2, 3), (1, 2))

SOURCE_WEIGHTS = (("survey", 50), ("walk_in", 12), ("phone", 14), ("letter", 4), ("online", 10),
                  ("activity", 10))

# --- people -----------------------------------------------------------------------------------

SURNAMES = ("王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱",
            "胡", "郭", "何", "高", "林", "罗", "郑", "梁", "谢", "宋", "唐", "许", "韩", "冯",
            "邓", "曹", "彭", "曾", "肖", "田", "董", "袁", "潘", "蒋", "蔡", "余", "杜", "叶",
            "程", "魏", "钟", "谭", "廖", "邹", "熊", "邱", "欧阳")
# Frequent surnames first; the weights roughly follow the national ranking.
SURNAME_WEIGHTS = tuple(max(1, 30 - i) for i in range(len(SURNAMES)))

MALE_GIVEN = ("伟", "强", "磊", "军", "勇", "杰", "涛", "明", "超", "刚", "平", "辉", "鹏", "华",
              "飞", "斌", "浩", "凯", "健", "俊", "宇", "建国", "志强", "国平", "海峰", "文斌",
              "德明", "立新", "春生", "永福", "家豪", "子轩", "晓东", "振华", "红兵", "伟民",
              "建军", "小龙", "金山", "庆华")
FEMALE_GIVEN = ("芳", "娜", "敏", "静", "丽", "艳", "娟", "霞", "婷", "雪", "琳", "慧", "燕",
                "红", "萍", "玲", "丹", "倩", "秀英", "桂英", "玉兰", "秀兰", "美华", "春梅",
                "晓燕", "丽娟", "海燕", "雨欣", "梦瑶", "子涵", "欣怡", "淑珍", "凤英", "金花",
                "冬梅", "小红", "佳怡", "思琪")

# Mobile prefixes in use on the mainland (all match ^1[3-9]\d{9}$).
MOBILE_PREFIXES = ("130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151",
                   "152", "153", "155", "156", "157", "158", "159", "166", "173", "177", "180",
                   "181", "182", "183", "185", "186", "187", "188", "189", "191", "198", "199")

SKILLS_BY_CATEGORY = {
    0: ("理论宣讲", "党史讲解", "主持", "方言说唱"),
    1: ("课业辅导", "书法", "朗诵", "美术"),
    2: ("舞蹈", "声乐", "乐器演奏", "摄影", "戏曲"),
    3: ("农业技术", "电脑维修", "手机应用教学", "电商运营"),
    4: ("医疗护理", "急救", "心理咨询", "中医推拿", "健身指导"),
    5: ("理发", "家电维修", "法律咨询", "驾驶", "烹饪", "水电维修"),
}
GENERAL_SKILLS = ("组织协调", "宣传写作", "后勤保障", "文明劝导")

# 专家人才库: the skill tag (services/experts.DEFAULT_SKILLS) a volunteer's free-text skills earn.
SKILL_TAGS = {
    "理论宣讲": "宣讲", "党史讲解": "宣讲", "课业辅导": "教育", "书法": "文艺", "朗诵": "文艺",
    "美术": "文艺", "舞蹈": "文艺", "声乐": "文艺", "乐器演奏": "文艺", "戏曲": "文艺",
    "农业技术": "科普", "手机应用教学": "科普", "电脑维修": "维修", "家电维修": "维修",
    "水电维修": "维修", "医疗护理": "医疗", "急救": "医疗", "中医推拿": "医疗",
    "心理咨询": "心理", "法律咨询": "法律",
}
# 积分超市 goods of the demo 所: (name, points, stock).
REWARDS = (("雨伞", 100, 20), ("洗衣液", 60, 40), ("保温杯", 150, 10), ("理发券", 30, 50))

# 中心制单: the demo's campaign (seed/town.py:_campaign)
CAMPAIGN_TITLE = "学雷锋日志愿服务"
CAMPAIGN_TEXT = "3月5日学雷锋纪念日，各站组织志愿者开展义诊、理发、家电维修、政策宣讲等便民服务。"
