/**
 * Chinese (default) / English texts of the portal (docs/spec/portal.md §i18n).
 * Elements carry data-i18n="<key>"; applyLanguage() swaps their text. The
 * choice is kept in localStorage under "fairdraw.lang".
 */
const STORAGE_KEY = 'fairdraw.lang';

export const TEXTS = {
  'nav.brand': ['双随机抽查公示', 'Random inspection draws'],
  'nav.draws': ['抽取列表', 'Draws'],
  'nav.log': ['透明日志', 'Transparency log'],
  'nav.offline': ['离线验证', 'Offline check'],
  'nav.registry': ['名录库变动', 'Registry changes'],
  'nav.stats': ['公平性统计', 'Fairness statistics'],
  // The registry page (registry.html, assets/app-registry.js; docs/spec/registry-diff.md).
  'registry.title': ['名录库快照与变动', 'Registry snapshots and their changes'],
  'registry.lead': ['每个名录库快照在日志中记下与上一个快照相比新增、移出、停用、恢复和变更的单位编号。移出或停用的单位不再参加抽取：抽取前的这些变动都公开在这里。',
    'Every registry snapshot logs the ids added, removed, retired, reactivated and changed since the previous one. Removed or retired units leave the draw pool: every such change before a draw is public here.'],
  'registry.empty': ['日志中还没有名录库快照。', 'No registry snapshot in the log yet.'],
  'registry.entry': ['日志条目', 'log entry'], 'registry.prev': ['上一个快照', 'previous snapshot'],
  'registry.first': ['首个快照：全部记录均为新增（见名单文件）。', 'First snapshot: every record is new (see its records file).'],
  'registry.counts-only': ['这个条目只记录了数量（旧格式），没有单位编号。', 'This entry logs counts only (older format), no ids.'],
  'registry.ids-missing': ['变动编号文件尚未公布。', 'The diff ids file is not published.'],
  'registry.names-missing': ['名称：名单文件未公布', 'names: records file not published'],
  'registry.list.added': ['新增', 'Added'], 'registry.list.removed': ['移出（不再在名单中）', 'Removed (no longer listed)'],
  'registry.list.retired': ['停用（移出抽取池）', 'Retired (left the pool)'], 'registry.list.reactivated': ['恢复（回到抽取池）', 'Reactivated (back in the pool)'],
  'registry.list.changed': ['变更', 'Changed'], 'registry.col.id': ['编号', 'Id'], 'registry.col.name': ['名称', 'Name'],
  'registry.col.fields': ['变更的属性', 'Changed attributes'], 'registry.none': ['无', 'none'],
  'registry.proven': ['条目已由联署检查点证明', 'entry proven by the co-signed checkpoint'],
  'footer.text': ['本页面的所有检查都在您的浏览器中完成；唯一需要信任的是 trust.json 中的公钥。',
    'Every check on this page runs in your browser; the only thing to trust is the keys in trust.json.'],
  'index.title': ['双随机、一公开：抽查公示', 'Double-random, one-public: inspection draws'],
  'index.lead': ['每一次抽取都可以在您的浏览器中独立复核：点击一次抽取，页面会重新计算并检查所有签名和证明。',
    'Every draw can be checked independently in your browser: open a draw and the page recomputes it and checks every signature and proof.'],
  'index.logsize': ['日志条目数', 'Log entries'],
  'index.empty': ['还没有抽取。', 'No draws yet.'],
  'index.stats': ['公平性统计：许多次抽取放在一起看', 'Fairness over many draws'],
  'col.draw': ['抽取编号', 'Draw'], 'col.title': ['名称', 'Title'], 'col.kind': ['类型', 'Kind'],
  'col.status': ['状态', 'Status'], 'col.round': ['信标轮次', 'Beacon round'], 'col.roundtime': ['信标时间 (UTC)', 'Beacon time (UTC)'],
  'col.authority': ['发布机关', 'Authority'], 'col.unit': ['单位', 'Unit'], 'col.date': ['日期', 'Date'],
  'col.outcome': ['结果', 'Result'], 'col.note': ['说明', 'Note'], 'col.witness': ['见证方', 'Witness'],
  'col.key': ['公钥', 'Key'], 'col.cosigned': ['最近一次联署', 'Last co-signature'],
  'col.rank': ['名次', 'Rank'], 'col.name': ['单位名称', 'Name'], 'col.brigade': ['大队', 'Brigade'],
  'col.ticket': ['抽签值', 'Ticket'], 'col.team': ['检查组', 'Team'],
  'status.announced': ['已公告', 'announced'], 'status.drawn': ['已抽取', 'drawn'],
  'status.cancelled': ['已取消', 'cancelled'], 'status.superseded': ['已被替代', 'superseded'],
  'kind.routine': ['日常抽查', 'routine'], 'kind.special': ['专项抽查', 'special'], 'kind.return_visit': ['回访抽查', 'return visit'],
  'local.banner': ['本地开发信标，不是公共随机数', 'local development beacon — not public randomness'],
  'local.short': ['本地信标', 'local beacon'],
  'verdict.pending': ['正在验证……', 'Verifying…'],
  'verdict.pass': ['验证通过：这次抽取公平、完整、未被改动', 'Verified: this draw is fair, complete and unaltered'],
  'verdict.fail': ['验证失败', 'Verification failed'],
  'verdict.waiting': ['尚无法完成验证', 'Cannot be fully verified yet'],
  'verdict.cancelled': ['已取消：取消已在日志中公开并通过全部检查，这次抽取不会有结果', 'Cancelled: the cancel is in the log and passes every check; this draw will have no result'],
  'verdict.failed-check': ['未通过的检查', 'failed check'],
  'progress.download': ['正在下载数据', 'Downloading data'],
  'progress.verify': ['正在检查签名和证明', 'Checking signatures and proofs'],
  'progress.recompute': ['正在重新计算抽取', 'Recomputing the draw'],
  'checks.title': ['验证清单', 'Checklist'], 'checks.backend': ['密码学实现', 'Crypto backend'],
  'result.title': ['抽中的单位', 'Selected units'], 'result.filter': ['按大队筛选', 'Filter by brigade'],
  'result.all': ['全部大队', 'All brigades'], 'result.csv': ['下载 CSV', 'Download CSV'],
  'result.bundle': ['下载离线验证包', 'Download offline bundle'],
  'result.stratum': ['分层', 'Stratum'], 'result.reserve': ['备选单位（按顺序递补）', 'Reserve units (in order)'],
  'result.none': ['无', 'none'], 'result.unfilled': ['空缺', 'unfilled'],
  // Team roles and the scope a member was found in (DOMAIN.md glossary).
  'role.lead': ['主办', 'lead'], 'role.assist': ['协办', 'assist'], 'role.expert': ['专家', 'expert'],
  'scope.brigade': ['本大队', 'own brigade'], 'scope.zone': ['协作区', 'zone'],
  'scope.detachment': ['全支队', 'detachment'],
  'result.nk': ['池中 {n} 家，抽取 {k} 家', '{n} in the pool, {k} drawn'],
  'lookup.title': ['我的单位在抽取池中吗？', 'Was my unit in the pool?'], 'lookup.go': ['查询', 'Look up'],
  'lookup.not-found': ['快照中没有这个单位编号。', 'This unit id is not in the snapshot.'],
  'lookup.inactive': ['该单位状态为“{s}”，不参加抽取。', 'The unit is “{s}” and does not take part.'],
  'lookup.excluded': ['该单位被公告排除：{r}', 'The announce excludes this unit: {r}'],
  'lookup.unmatched': ['该单位不属于任何分层，只计数不抽取。', 'The unit matches no stratum: counted, not drawn.'],
  'lookup.in-pool': ['在抽取池中：分层 {stratum}，抽签值 {ticket}；分界抽签值 {cutoff}（抽签值不大于分界值的单位被抽中）。',
    'In the pool: stratum {stratum}, ticket {ticket}; cut-off ticket {cutoff} (units whose ticket is at most the cut-off are selected).'],
  'lookup.selected': ['已被抽中，名次 {rank}。', 'Selected, rank {rank}.'],
  'lookup.reserve': ['未被抽中，是第 {r} 位备选。', 'Not selected; reserve number {r}.'],
  'lookup.not-selected': ['未被抽中。', 'Not selected.'],
  'lookup.unpublished': ['单位名单尚未公布（检查结束后公布）。', 'The unit list is not published yet (after the inspections).'],
  'lookup.unavailable': ['这次抽取还没有结果。', 'This draw has no result yet.'],
  'outcomes.title': ['检查结果公示', 'Inspection outcomes'],
  'col.evidence': ['证据 SHA-256', 'Evidence SHA-256'],
  'evidence.title': ['核对证据文件', 'Check an evidence file'],
  'evidence.lead': ['把文件拖到下面（或选择文件）：浏览器在本机计算它的 SHA-256 并与上面的证据哈希比对，文件不会离开你的电脑。', 'Drop a file below (or choose one): your browser computes its SHA-256 on this machine and compares it with the evidence hashes above; the file never leaves your computer.'],
  'evidence.drop': ['拖放文件到这里，或点击选择', 'Drop files here, or click to choose'],
  'outcome.compliant': ['合格', 'compliant'], 'outcome.rectification_ordered': ['责令整改', 'rectification ordered'],
  'outcome.penalised': ['处罚', 'penalised'], 'outcome.not_inspected': ['未检查', 'not inspected'],
  'outcome.corrects': ['更正第 {i} 条', 'corrects entry {i}'],
  'outcome.superseded-by': ['已被第 {i} 条更正', 'superseded by entry {i}'],
  'log.title': ['透明日志', 'Transparency log'], 'log.origin': ['日志名称', 'Origin'], 'log.size': ['条目数', 'Tree size'],
  'log.root': ['根哈希', 'Root hash'], 'log.key': ['日志公钥', 'Log key'], 'log.witnesses': ['见证方', 'Witnesses'],
  'log.policy': ['联署规则', 'Co-signing policy'], 'log.checkpoints': ['已发布的检查点', 'Published checkpoints'],
  'log.notcosigned': ['最新检查点上没有联署', 'no co-signature on the latest checkpoint'],
  'offline.title': ['离线验证', 'Offline check'],
  'offline.lead': ['把离线验证包（.json 文件）拖到下面，或选择文件。验证完全在本机进行，不联网。',
    'Drop an offline bundle (.json file) below or choose it. Verification runs entirely on this computer.'],
  'offline.drop': ['拖放验证包到这里', 'Drop the bundle here'],
  'offline.keys': ['包内 trust.json 的日志公钥（请与官方公布的公钥核对）', 'Log key in the bundle’s trust.json (compare it with the published key)'],
  'disk.missing': ['从磁盘打开的页面需要本抽取的离线数据文件 data/disk/<编号>.js，但它无法读取；请改用“离线验证”页面和验证包。', 'A page opened from disk needs this draw’s offline data file data/disk/<id>.js, which could not be read; use the offline check page with a bundle instead.'],
  'offline.bad': ['这不是一个有效的离线验证包：', 'This is not a valid offline bundle: '],
  'result.unverified': ['验证失败：下面的结果和下载内容不可信。', 'Verification failed: the result below and its downloads cannot be trusted.'],
  'history.title': ['重新抽取与取消', 'Re-draws and cancellations'],
  'history.fate': ['在信标前 {n} 分钟取消', 'cancelled {n} minutes before its beacon'],
  'history.fate-late': ['在信标后 {n} 分钟才取消', 'cancelled {n} minutes after its beacon'],
  'trust.title': ['信任根（trust.json）', 'Trust root (trust.json)'],
  'trust.fingerprint': ['指纹（请与抽取计划公告上印的指纹核对）', 'Fingerprint (compare it with the one printed in the draw plan notice)'],
  'trust.full': ['完整指纹', 'Full fingerprint'],
  'trust.log': ['日志公钥', 'Log key'], 'trust.witness': ['见证方公钥', 'Witness key'],
  'trust.quorum': ['联署规则', 'Co-signing policy'], 'trust.beacon': ['随机信标（链哈希、公钥指纹）', 'Beacon (chain hash, key fingerprint)'],
  'trust.margin': ['承诺提前量（秒）', 'Commitment margin (s)'], 'trust.maxage': ['联署最长有效期（秒）', 'Maximum co-signature age (s)'],
  'proofs.title': ['日志证明文件（.tlog-proof）', 'Log proof files (.tlog-proof)'],
  'proof.announce': ['公告', 'announce'], 'proof.result': ['结果', 'result'], 'proof.cancel': ['取消', 'cancel'],
  'memory.explain': ['如果您已核对新的 trust.json 指纹与官方公布的一致，可以让浏览器忘记这个日志：',
    'If you have checked the new trust.json fingerprint against the published one, let this browser forget the log:'],
  'memory.forget': ['忘记这个日志', 'Forget this log'],
  // The story of the draw (docs/spec/portal.md "What the page shows"): rules, witnesses, beacon.
  'result.cutoff': ['分界抽签值（本层最后一个抽中单位的抽签值，不大于它的被抽中）',
    'Cut-off ticket (the last selected unit’s; units with a ticket at most this are selected)'],
  'checks.details': ['技术细节', 'Technical details'],
  'checks.original': ['验证程序的原文（英文）', 'The verifier’s own words'],
  'rules.title': ['抽取规则（来自已证明的公告）', 'The rules (from the proven announcement)'],
  'rules.lead': ['以下规则在信标产生之前就已写入日志并由见证方联署，事后无法更改。',
    'These rules were logged and co-signed by the witnesses before the beacon existed, so they cannot have been changed afterwards.'],
  'rules.period': ['检查期间', 'Inspection period'], 'rules.kind': ['抽取类型', 'Kind of draw'],
  'rules.snapshots': ['名单快照（名称、条数、根哈希）', 'Registry snapshots (name, records, root)'],
  'snapshot.units': ['单位', 'units'], 'snapshot.inspectors': ['检查人员', 'inspectors'], 'snapshot.experts': ['专家', 'experts'],
  'rules.strata': ['分层与抽取数量', 'Strata and quotas'],
  'rules.order': ['每个在册、未被排除的单位归入第一个符合条件的分层；每层按抽签值从小到大排序，取前 k 家，其后若干家为备选。',
    'Each active, not excluded unit joins the first stratum whose condition it meets; each stratum is ordered by ticket, smallest first: the first k are selected, the next ones are the reserve.'],
  'rules.unmatched': ['不属于任何分层的单位：{n} 家（只计数，不抽取）', 'Units matching no stratum: {n} (counted, not drawn)'],
  'col.stratum': ['分层', 'Stratum'], 'col.match': ['条件', 'Condition'], 'col.quota': ['抽取数量规则', 'Quota'],
  'col.n': ['池中', 'In pool'], 'col.k': ['抽中', 'Drawn'], 'col.cutoff': ['分界抽签值', 'Cut-off ticket'],
  'quota.ratio': ['按比例 {r}（向上取整）', 'ratio {r} (rounded up)'], 'quota.count': ['固定 {c} 家', '{c} units'],
  'quota.all': ['全部', 'all of them'], 'quota.min': ['至少 {m} 家', 'at least {m}'], 'quota.reserve': ['备选 {r} 家', '{r} in reserve'],
  'match.all': ['所有单位', 'every unit'], 'match.or': ['或', 'or'],
  'rules.exclusions': ['排除的单位（不参加本次抽取）', 'Excluded units (not in this draw’s pool)'],
  'rules.recusals': ['回避（该检查人员不参加该单位的检查；原因不公开）', 'Recusals (the inspector never inspects that unit; the reasons are private)'],
  'rules.recusal-applied': ['本次抽取中实际回避 {n} 次', 'applied {n} time(s) in this draw'],
  'rules.zones': ['协作区（用于在区内派检查人员）', 'Collaboration zones (inspectors are sought within the zone)'],
  'rules.teams': ['检查组规则', 'Team rules'],
  'teams.size': ['每个抽中单位派 1 名主办、{a} 名协办、{e} 名专家。', 'Each selected unit gets 1 lead, {a} assistant(s) and {e} expert(s).'],
  'teams.scopes': ['检查人员依次从以下范围中选：{s}；同一范围内先派任务最少的人，再按抽签值。', 'Inspectors are sought in this order: {s}; within a scope the least busy go first, then by ticket.'],
  'teams.own': ['不派本大队人员检查本大队的单位。', 'Never an inspector of the unit’s own brigade.'],
  'teams.certs': ['检查人员的执法证须有效至检查期末（{d}）。', 'Inspector certificates must be valid until the end of the period ({d}).'],
  'teams.none': ['本次抽取不派检查组。', 'No teams in this draw.'],
  'time.local': ['本地时间', 'local time'],
  'witness.title': ['见证方何时联署', 'When the witnesses co-signed'],
  'witness.lead': ['见证方是独立的机构，它们在日志的检查点上联署并签上时间。公告必须在信标轮次时间之前（留出提前量）就被足够多的见证方联署。',
    'Witnesses are independent parties that co-sign the log’s checkpoints with a timestamp. The announcement must be co-signed by enough witnesses before the beacon round time, less a margin.'],
  'witness.commitment': ['承诺检查点（覆盖公告，大小 {n}）', 'Commitment checkpoint (covers the announcement, size {n})'],
  'witness.current': ['当前检查点（大小 {n}）', 'Current checkpoint (size {n})'],
  'witness.none': ['未联署', 'did not co-sign'],
  'witness.round-time': ['信标轮次时间', 'Beacon round time'], 'witness.margin': ['提前量', 'Margin'],
  'witness.seconds': ['{m} 秒', '{m} s'],
  'witness.deadline': ['截止时间（轮次时间 − 提前量）', 'Deadline (round time − margin)'],
  'witness.quorum-time': ['联署规则满足的时间（承诺检查点）', 'Policy met at (commitment checkpoint)'],
  'witness.met': ['联署规则“{q}”在截止时间之前已满足：公告在随机数产生之前就已固定。',
    'The co-signing policy “{q}” was met before the deadline: the announcement was fixed before the randomness existed.'],
  'witness.missed': ['没有覆盖公告的检查点在截止时间之前满足联署规则“{q}”。', 'No checkpoint covering the announcement met the co-signing policy “{q}” by the deadline.'],
  'witness.in-time': ['早于截止时间', 'before the deadline'], 'witness.late': ['晚于截止时间', 'after the deadline'],
  'witness.no-commitment': ['没有找到覆盖公告的已联署检查点。', 'No co-signed checkpoint covering the announcement was found.'],
  'beacon.title': ['随机信标与抽取种子', 'The beacon and the draw seed'],
  'beacon.lead': ['随机数来自公告中预先指定的信标轮次：它在公告被联署之后才产生，任何人都无法预知或挑选。抽取种子 = SHA-256("fairdraw/draw-v1/seed" ‖ 0x00 ‖ 公告哈希 ‖ 随机数)。',
    'The randomness comes from the beacon round fixed in the announcement: it appeared only after the announcement was co-signed, so nobody could foresee or choose it. Seed = SHA-256("fairdraw/draw-v1/seed" ‖ 0x00 ‖ announce hash ‖ randomness).'],
  'beacon.chain': ['信标链（链哈希）', 'Beacon chain (chain hash)'], 'beacon.scheme': ['签名方案', 'Signature scheme'],
  'beacon.key': ['信标公钥指纹', 'Beacon key fingerprint'], 'beacon.round': ['信标轮次', 'Beacon round'],
  'beacon.round_time': ['轮次时间', 'Round time'], 'beacon.signature': ['信标签名', 'Beacon signature'],
  'beacon.previous_signature': ['上一轮签名（链式方案）', 'Previous signature (chained scheme)'],
  'beacon.randomness': ['随机数（签名的 SHA-256）', 'Randomness (SHA-256 of the signature)'],
  'beacon.spec_hash': ['公告哈希（spec_hash）', 'Announcement hash (spec_hash)'], 'beacon.seed': ['抽取种子', 'Draw seed'],
  'beacon.source': ['来源', 'Source'], 'beacon.from-announce': ['公告（日志条目 #{i}）', 'announcement (log entry #{i})'],
  'beacon.from-result': ['抽取结果（日志条目 #{i}）', 'result (log entry #{i})'], 'beacon.from-trust': ['trust.json', 'trust.json'],
  'beacon.pending': ['尚无结果：信标轮次到来、结果记入日志后，这里显示签名、随机数和种子。', 'No result yet: the signature, randomness and seed appear here once the beacon round has come and the result is logged.'],
  'beacon.local': ['本地开发信标：随机数由操作方的本地密钥产生，不是公共随机数。', 'Local development beacon: the randomness comes from the operator’s own key, not public randomness.'],
  // Codes of the announce and records shown with a name (fallback: the code itself).
  'attr.risk_level': ['风险等级', 'risk level'], 'attr.key_unit': ['重点单位', 'key unit'],
  'attr.crowded_place': ['人员密集场所', 'crowded place'], 'attr.tags': ['标记', 'tags'], 'attr.brigade': ['大队', 'brigade'],
  'attr.industry': ['行业', 'industry'], 'attr.size_class': ['规模', 'size class'],
  'val.true': ['是', 'yes'], 'val.false': ['否', 'no'], 'val.high': ['高', 'high'], 'val.medium': ['中', 'medium'], 'val.low': ['低', 'low'],
  'val.ebike_parking': ['电动自行车停放充电', 'e-bike parking and charging'], 'val.high_rise': ['高层建筑', 'high-rise'],
  // The demo's strata (fairdraw/demo_registry.py routine_strata, draw_engine/plan.py return visits).
  'stratum.high-risk-key-crowded': ['高风险重点人员密集场所', 'High-risk key crowded places'],
  'stratum.ebike-parking': ['电动自行车停放充电场所', 'E-bike parking and charging places'],
  'stratum.high-risk': ['高风险单位', 'High-risk units'], 'stratum.key-units': ['消防安全重点单位', 'Key fire-safety units'],
  'stratum.non-key': ['一般单位', 'Other units'], 'stratum.inspected': ['已检查的单位（回访）', 'Inspected units (return visit)'],
  // The demo's brigades and zones (fairdraw/demo_registry.py); records with brigade_name win.
  'brigade.xingbin': ['兴宾', 'Xingbin'], 'brigade.heshan': ['合山', 'Heshan'], 'brigade.xiangzhou': ['象州', 'Xiangzhou'],
  'brigade.wuxuan': ['武宣', 'Wuxuan'], 'brigade.xincheng': ['忻城', 'Xincheng'], 'brigade.jinxiu': ['金秀', 'Jinxiu'],
  'brigade.hq': ['支队防火监督科', 'Detachment fire supervision section'],
  'zone.zone-1': ['第一协作区', 'Zone 1'], 'zone.zone-2': ['第二协作区', 'Zone 2'], 'zone.zone-3': ['第三协作区', 'Zone 3'],
  'reason.rectification_pending': ['正在整改', 'rectification pending'],
};

/** Check names -> [label zh, label en, pass zh, pass en, fail zh, fail en]. */
export const CHECK_TEXTS = {
  'checkpoint-signature': ['日志检查点签名', 'Log checkpoint signature',
    '日志的最新状态由日志公钥签署。', 'The log’s latest state is signed by the log key.',
    '日志检查点的签名不对：这份数据不是日志方签发的。', 'The checkpoint signature is wrong: these data were not signed by the log.'],
  'witness-cosignatures': ['见证方联署', 'Witness co-signatures',
    '足够多的独立见证方联署了同一日志状态。', 'Enough independent witnesses co-signed the same log state.',
    '见证方联署不足或无效：无法排除日志被分叉。', 'Witness co-signatures are missing or invalid: a forked log cannot be ruled out.'],
  'checkpoint-freshness': ['联署是最新的', 'Co-signatures are recent',
    '见证方最近一次联署在允许的时间之内：看到的不是过期或冻结的日志。', 'The witnesses co-signed recently enough: this is not a stale or frozen view of the log.',
    '最近一次足够的联署太久以前：看到的可能是过期或被冻结的日志。', 'The newest quorum of co-signatures is too old: this may be a stale or frozen view of the log.'],
  'announce-inclusion': ['抽取公告在日志中', 'Announcement is in the log',
    '读取并核对了整个日志：本编号恰好有一个抽取公告（规则、名单根哈希、信标轮次）。', 'The whole log was read and checked: it holds exactly one announcement of this draw id (rules, list roots, beacon round).',
    '日志中没有本编号的唯一公告，或日志数据与检查点不符。', 'The log holds no single announcement of this draw id, or its data do not match the checkpoint.'],
  'draw-history': ['没有事后重抽', 'No re-roll',
    '取消与重新抽取都在随机数产生之前完成，替代关系符合规则。', 'Any cancellation and re-draw happened before the randomness existed; the supersede chain follows the rules.',
    '取消或替代违反规则：可能在随机数公开后重抽。', 'A cancellation or supersede breaks the rules: the draw may have been re-rolled after the randomness was known.'],
  'beacon-identity': ['随机信标是公认的', 'The beacon is the known one',
    '公告的信标链与代码中固定的公共信标（或标明的本地开发信标）一致，轮次时间正确。', 'The announced beacon chain is a public chain pinned in code (or the marked local development beacon), and its round time is right.',
    '信标链不是公认的公共信标，或轮次时间不对：随机数可能由操作方掌握。', 'The beacon chain is not a known public chain, or the round time is wrong: the operator may control the randomness.'],
  'result-inclusion': ['抽取结果在日志中', 'Result is in the log',
    '抽取结果确实记录在日志中。', 'The result is recorded in the log.',
    '抽取结果与日志不符：结果可能被改动。', 'The result does not match the log: it may have been altered.'],
  'single-result': ['只有一个结果', 'Only one result',
    '整个日志中这次抽取最多只有一个结果，没有重抽。', 'In the whole log this draw has at most one result: nothing was re-drawn.',
    '这次抽取有多个结果，或有指向本公告的其他结果或取消。', 'This draw has several results, or a result or cancel elsewhere points at its announcement.'],
  'snapshot-roots': ['单位和人员名单', 'Unit and inspector lists',
    '公布的名单与公告时固定的根哈希一致。', 'The published lists match the roots fixed in the announcement.',
    '公布的名单与公告时固定的不一致：名单被改动过。', 'The published lists differ from those fixed in the announcement: they were altered.'],
  'beacon-signature': ['随机信标签名', 'Beacon signature',
    '随机数来自预先指定的信标轮次，签名有效。', 'The randomness comes from the pre-announced beacon round and its signature is valid.',
    '随机信标的签名或轮次不对：随机数不可信。', 'The beacon signature or round is wrong: the randomness cannot be trusted.'],
  'commitment-timing': ['先公告、后随机', 'Committed before the randomness',
    '公告在信标产生之前就已被见证方联署，事后无法更改。', 'The announcement was co-signed by witnesses before the beacon existed, so it could not be changed afterwards.',
    '无法证明公告早于随机数：规则可能是事后定的。', 'No proof the announcement came before the randomness: the rules may have been set afterwards.'],
  'recompute': ['重新计算结果', 'Recomputed result',
    '在您的浏览器中重新计算，结果与公布的完全一致。', 'Recomputed in your browser, the result is identical to the published one.',
    '重新计算的结果与公布的不一致。', 'The recomputed result differs from the published one.'],
  'log-consistency': ['日志没有被改写', 'Log not rewritten',
    '日志与您上次看到的状态一致（只追加、未改写）。', 'The log is consistent with what you saw last time (append-only, not rewritten).',
    '日志或 trust.json 与您上次看到的不一致：日志被回滚、改写或分叉，或信任根变了！', 'The log or trust.json differs from what you saw last time: rolled back, rewritten or forked, or the trust root changed!'],
  'index': ['索引与日志一致', 'Index agrees with the log',
    '门户的抽取索引与日志中已证明的条目一致。', 'The portal’s draw index agrees with the proven log entries.',
    '门户的抽取索引与日志不符：页面上未验证的信息不可信。', 'The portal’s draw index differs from the log: unverified facts on this site cannot be trusted.'],
};

/**
 * Check names -> [zh, en]: what the check computed, in plain words, shown above the
 * verifier's technical reason (English, with its evidence) when a check line is unfolded.
 */
export const CHECK_DETAILS = {
  'checkpoint-signature': ['用 trust.json 中的日志公钥验证检查点（日志的条目数和根哈希）的 Ed25519 签名。',
    'The checkpoint (the log’s size and root hash) was checked against the Ed25519 log key of trust.json.'],
  'witness-cosignatures': ['逐一验证见证方在检查点上的联署（cosignature/v1，带时间戳），再按 trust.json 的联署规则计数。',
    'Each witness co-signature on the checkpoint (cosignature/v1, timestamped) was verified and counted toward the policy of trust.json.'],
  'checkpoint-freshness': ['比较最近一次满足联署规则的时间与现在的时间差，不得超过允许的最长期限。',
    'The newest time the co-signing policy was met is compared with the current time and the maximum age allowed.'],
  'announce-inclusion': ['下载日志的全部条目，逐一重新计算哈希直到检查点的根哈希，再在其中找本编号的公告。',
    'Every log entry was downloaded and re-hashed up to the checkpoint’s root; this draw id’s announcement was looked up among them.'],
  'draw-history': ['由已证明的条目推导本抽取的取消与替代关系，按信标时间和联署时间检查规则；原文开头是违反的规则名。',
    'The draw’s cancels and supersedes were derived from proven entries and checked against the beacon and co-signing times; a failure starts with the rule’s name.'],
  'result-inclusion': ['抽取结果条目是否在已证明的日志条目之中。', 'Whether the result entry is among the proven log entries.'],
  'single-result': ['在整个日志中查找附属于本抽取的结果和取消条目。', 'The result and cancel entries attached to this draw, looked up across the whole log.'],
  'snapshot-roots': ['重新计算公布的名单文件的默克尔根哈希，与公告和名单快照条目中记下的比较。',
    'The Merkle roots of the published list files were recomputed and compared with those in the announcement and the snapshot entries.'],
  'beacon-identity': ['由信标链信息重新计算链哈希，与代码中固定的公共信标比较，并由创世时间和周期算出轮次时间。',
    'The chain hash was recomputed from the chain info and compared with the public chains pinned in code; the round time was computed from genesis and period.'],
  'beacon-signature': ['用信标公钥验证该轮次的 BLS 签名；随机数等于签名的 SHA-256。', 'The round’s BLS signature was verified with the beacon key; the randomness is the SHA-256 of the signature.'],
  'commitment-timing': ['寻找覆盖公告、且在“信标轮次时间 − 提前量”之前满足联署规则的检查点。',
    'A checkpoint covering the announcement whose co-signatures met the policy by round time − margin was looked for.'],
  'recompute': ['用公告、名单和随机数按 draw-v1 在本浏览器中重新计算，与日志中的结果逐字节比较。',
    'The draw was recomputed in this browser with draw-v1 from the announcement, the lists and the randomness, and compared byte for byte with the logged result.'],
  'log-consistency': ['与本浏览器上次记住的检查点比较（条目数、根哈希、一致性证明、trust.json 指纹）。',
    'Compared with the checkpoint this browser remembered (size, root hash, consistency proof, trust.json fingerprint).'],
  'index': ['门户的导航文件（data/draws.json 等）与已证明的条目逐项比较。', 'The portal’s navigation files (data/draws.json and others) compared field by field with the proven entries.'],
  'load': ['页面无法取得验证所需的文件。', 'The page could not get the files it verifies.'],
};

export function checkDetail(name) {
  const e = CHECK_DETAILS[name];
  return e ? e[currentLang() === 'en' ? 1 : 0] : '';
}

/**
 * The display name of a code under a TEXTS prefix ("stratum", "brigade", "zone", "attr",
 * "val", "reason"), or the code itself when none is known.
 */
export function codeLabel(prefix, code) {
  const entry = TEXTS[`${prefix}.${code}`];
  return entry ? entry[currentLang() === 'en' ? 1 : 0] : String(code);
}

export const SKIPPED_TEXT = ['未完成：所需数据尚未公布，或前一项检查未通过。', 'Not done: the data are not published yet, or an earlier check failed.'];

export function currentLang() {
  try {
    return localStorage.getItem(STORAGE_KEY) === 'en' ? 'en' : 'zh';
  } catch {
    return 'zh';
  }
}

export function t(key, vars = {}) {
  const entry = TEXTS[key];
  let s = entry ? entry[currentLang() === 'en' ? 1 : 0] : key;
  for (const [k, v] of Object.entries(vars)) s = s.split(`{${k}}`).join(String(v));
  return s;
}

export function checkLabel(name) {
  const e = CHECK_TEXTS[name];
  return e ? e[currentLang() === 'en' ? 1 : 0] : name;
}

export function checkReason(name, status) {
  const e = CHECK_TEXTS[name];
  const en = currentLang() === 'en' ? 1 : 0;
  if (status === 'skipped' || !e) return SKIPPED_TEXT[en];
  return status === 'pass' ? e[2 + en] : e[4 + en];
}

const listeners = [];
export function onLanguageChange(fn) {
  listeners.push(fn);
}

export function applyLanguage(root = document, notify = true) {
  const lang = currentLang();
  document.documentElement.lang = lang === 'en' ? 'en' : 'zh-CN';
  for (const el of root.querySelectorAll('[data-i18n]')) {
    const entry = TEXTS[el.dataset.i18n];
    if (entry) el.textContent = entry[lang === 'en' ? 1 : 0];
  }
  const button = document.getElementById('lang-toggle');
  if (button) button.textContent = lang === 'en' ? '中文' : 'English';
  if (notify) for (const fn of listeners) fn(lang);
}

export function setupLanguage() {
  const button = document.getElementById('lang-toggle');
  if (button) {
    button.addEventListener('click', () => {
      try {
        localStorage.setItem(STORAGE_KEY, currentLang() === 'en' ? 'zh' : 'en');
      } catch { /* private mode: the toggle lasts for this page only */ }
      applyLanguage();
    });
  }
  applyLanguage();
}
