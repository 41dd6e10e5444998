"""Small hand-made data for the pure matching tests (no database)."""

from __future__ import annotations

from marketplace.matching.model import CapabilityNode, CompanyData, ScenarioData, Taxonomy

# Two groups of leaves; ids are arbitrary ints.
AI, ASR, NLP, KG = 1, 2, 3, 4
IOT, SENSOR, PLATFORM = 10, 11, 12
TRACE, IDRES, COLD = 20, 21, 22
LEDGER, CHAIN = 30, 31

TAXONOMY = Taxonomy.of(
    [
        CapabilityNode(AI, "语言智能", None, ("NLP与语音",)),
        CapabilityNode(ASR, "语音识别", AI, ("ASR", "智能语音", "语音转写")),
        CapabilityNode(NLP, "自然语言处理", AI, ("NLP", "文本分析")),
        CapabilityNode(KG, "知识图谱", AI, ()),
        CapabilityNode(IOT, "物联感知", None, ("IoT",)),
        CapabilityNode(SENSOR, "环境监测传感", IOT, ("颗粒物监测", "扬尘监测")),
        CapabilityNode(PLATFORM, "物联网平台", IOT, ("设备接入平台",)),
        CapabilityNode(TRACE, "标识与追溯", None, ()),
        CapabilityNode(IDRES, "标识解析", TRACE, ("一物一码",)),
        CapabilityNode(COLD, "冷链监控", TRACE, ("冷链温控",)),
        CapabilityNode(LEDGER, "可信服务", None, ()),
        CapabilityNode(CHAIN, "区块链存证", LEDGER, ("区块链",)),
    ]
)


def company(cid: int, caps: dict | None = None, **kw) -> CompanyData:
    return CompanyData(id=cid, name=kw.pop("name", "某企业"), key=f"co-{cid}", capabilities=caps or {}, **kw)


def scenario(sid: int, reqs: dict | None = None, **kw) -> ScenarioData:
    return ScenarioData(
        id=sid, title=kw.pop("title", "某场景"), key=f"sc-{sid}", requirements=reqs or {}, **kw
    )
