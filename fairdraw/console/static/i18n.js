/**
 * The console's labels in Chinese (the default) and English. Elements name their
 * label with data-i18n; `t(key, params)` formats one in the current language.
 */
const EN = {
  'app.title': 'fairdraw operator console',
  'local.banner': 'LOCAL development beacon: NOT public randomness',
  'signin.title': 'Sign in with an operator token',
  'signin.lead': 'The token is kept in this tab\'s session storage only (gone when the tab closes), never in the address.',
  'signin.token': 'Operator token', 'signin.go': 'Sign in', 'signin.out': 'Sign out',
  'signin.bad': 'The token was refused: {m}', 'signin.ok': 'Signed in as {name} ({role}).',
  'signin.gone': 'Signed out; the token was removed from this tab.',
  'tab.registries': 'Registries', 'tab.plan': 'Plan a draw', 'tab.follow': 'Follow and execute',
  'tab.after': 'Outcomes and notices', 'tab.audit': 'Audit trail',
  'reg.title': 'Import a registry', 'reg.kind': 'Registry', 'reg.file': 'File (CSV / XLSX / JSONL)',
  'reg.preview': 'Preview the changes', 'reg.preview.title': 'What the import would change (nothing written yet)',
  'reg.summary': 'Version {version}: {count} records. Added {added}, removed (leave the pool: become defunct) {removed}, changed {changed}. File SHA-256 {sha}.',
  'reg.mass': 'Mass removal: {retired} of {active} active records would stop being active, more than the {limit}% limit. Committing needs your explicit confirmation.',
  'reg.mass.confirm': 'I have checked these records and confirm they are no longer active',
  'reg.snapshot': 'Snapshot name', 'reg.publish': 'Publication',
  'reg.commit': 'Commit the import to the log', 'reg.errors': 'The file has errors: nothing was imported',
  'reg.errors.msg': 'The file was refused ({n} problems); nothing was imported.',
  'reg.snapshots': 'Snapshots in the log', 'reg.added': 'Added', 'reg.retired': 'Removed (become defunct)', 'reg.changed': 'Changed',
  'reg.more': '… and {n} more', 'reg.committed': 'Snapshot {name} is in the log at index {index} (version {version}, {count} records, root {root}).',
  'reg.absent': 'not in the file', 'reg.marked': 'marked defunct/inactive in the file', 'reg.nofile': 'Choose a file first.',
  'kind.units': 'Units (targets)', 'kind.inspectors': 'Inspectors', 'kind.experts': 'Experts',
  'publish.at_announce': 'Published at announce', 'publish.after_inspection': 'Published after the inspections',
  'plan.title': 'Plan a draw from a template', 'plan.template': 'Template', 'plan.template.none': '(choose a template)',
  'plan.template.edit': 'New or edited template (JSON)',
  'plan.template.help': 'A template holds plan (strata, quotas, reserves, teams, zones, exclusions, recusals, snapshots) and labels (Chinese names of the strata); the id, period and beacon round are chosen here per draw.',
  'plan.template.name': 'Template name', 'plan.template.save': 'Save template', 'plan.template.saved': 'Template {name} saved.',
  'plan.draw_id': 'Draw id', 'plan.draw_title': 'Title', 'plan.from': 'Inspection period from', 'plan.to': 'to',
  'plan.beacon': 'Beacon round', 'plan.beacon.auto': 'Proposed round (after the lead time, with time to review)',
  'plan.beacon.not_before': 'Not before', 'plan.beacon.round': 'Round',
  'plan.proposal': 'Round {round} comes at {time} (UTC {utc}); witnesses must co-sign by {commit}. Lead time {lead} s, margin {margin} s.',
  'plan.validate': 'Validate and preview the announce', 'plan.announce': 'Announce (logged, cannot be undone)',
  'plan.announce.title': 'The announce as it will be logged',
  'plan.valid': 'The plan is valid. Round {round} at {time}; units {units} ({ucount}).',
  'plan.announced': 'Draw {id} announced at log index {index}. Publish a checkpoint so the witnesses co-sign the commitment.',
  'plan.strata': 'Strata', 'plan.teams': 'Teams', 'plan.zones': 'Zones', 'plan.exclusions': 'Exclusions', 'plan.recusals': 'Recusals',
  'plan.quota': 'Quota', 'plan.match': 'Match', 'plan.reserve': 'Reserve', 'plan.label': 'Name',
  'follow.title': 'Follow the commitment and execute', 'follow.draw': 'Draw',
  'follow.publish': 'Publish a checkpoint (witnesses co-sign)', 'follow.execute': 'Execute the draw',
  'follow.round': 'Beacon round', 'follow.commit_by': 'Co-sign by', 'follow.left': 'Time left before the round',
  'follow.policy': 'Witness policy', 'follow.met': 'met: the commitment is co-signed in time', 'follow.notmet': 'not met',
  'follow.published': 'Checkpoint of size {size} published and co-signed; commitment of: {drawn}.',
  'follow.executed': 'Draw {id} executed: result at log index {index}.', 'follow.due': 'the round has come',
  'follow.none': '(no draw yet)',
  'cancel.title': 'Cancel this draw', 'cancel.lead': 'A cancel is logged and public; a committed draw can be cancelled only before the co-signing deadline. A re-draw is a new announce.',
  'cancel.go': 'Cancel the draw (logged)', 'cancel.done': 'Draw {id} cancelled: {reason}', 'cancel.noreason': 'Give the reason for the cancel.',
  'result.title': 'Selected units', 'result.public': 'Public page (anyone can verify)', 'result.stratum': 'Stratum',
  'result.nk': '{k} of {n}', 'result.reserve': 'Reserve', 'result.none': 'none', 'result.unfilled': 'unfilled',
  'result.meta': 'Result at log index {index}; round {round}; seed {seed}',
  'after.title': 'Outcomes and notices', 'after.evidence': 'Evidence files (SHA-256 computed on this machine; the files are not uploaded)',
  'after.record': 'Record the outcome (logged)', 'after.outcomes': 'Recorded outcomes',
  'after.recorded': 'Outcome of {unit} recorded at log index {index}.', 'after.draw': 'Draw {id}: {title}',
  'after.nodraw': 'Choose a drawn draw under "Follow and execute" first.', 'after.hashing': 'hashing…',
  'notices.title': 'Export notices (per brigade)', 'notices.all': 'All brigades', 'notices.format': 'Format',
  'notices.export': 'Export notices', 'notices.done': '{rows} notices exported to {file}.',
  'audit.title': 'Audit trail: who did what, when', 'audit.refresh': 'Refresh',
  'outcome.compliant': 'Compliant', 'outcome.rectification_ordered': 'Rectification ordered', 'outcome.penalised': 'Penalised', 'outcome.not_inspected': 'Not inspected',
  'status.announced': 'announced', 'status.drawn': 'drawn', 'status.cancelled': 'cancelled', 'status.superseded': 'superseded',
  'role.lead': 'Lead', 'role.assist': 'Assistant', 'role.expert': 'Expert',
  'col.row': 'Row', 'col.column': 'Column', 'col.problem': 'Problem', 'col.snapshot': 'Snapshot', 'col.kind': 'Registry',
  'col.count': 'Records', 'col.root': 'Root', 'col.index': 'Log index', 'col.publish': 'Publication', 'col.status': 'Status',
  'col.witness': 'Witness', 'col.cosigned': 'Co-signed at', 'col.in_time': 'In time', 'col.unit': 'Unit', 'col.date': 'Date',
  'col.outcome': 'Outcome', 'col.note': 'Note', 'col.brigade': 'Brigade', 'col.time': 'Time', 'col.actor': 'Who',
  'col.role': 'Role', 'col.request': 'Request', 'col.status_code': 'Status', 'col.content': 'Request content',
  'col.evidence': 'Evidence SHA-256', 'col.rank': 'Rank', 'col.name': 'Name', 'col.ticket': 'Ticket', 'col.team': 'Team', 'col.id': 'Id', 'col.fields': 'Changed fields',
  'tab.returns': 'Return visits',
  'reg.file': 'Files (CSV / XLSX / JSONL; several allowed, the first ones win)', 'reg.mapping': 'Mapping file (JSON, optional)',
  'reg.merges': 'Merged records (one unit in several rows: which row won, and why)',
  'reg.mapping.bad': 'The mapping file {name} is not JSON: {m}', 'reg.sources': 'Files, in order of precedence: {names}; mapping file: {mapping}.',
  'reg.row': '{source} row {row}',
  'col.key': 'Merged by', 'col.kept': 'Row kept', 'col.merged': 'Rows merged into it', 'col.filled': 'Fields filled', 'col.dropped': 'Values not taken', 'col.reason': 'Why', 'col.file': 'File',
  'after.supersedes': 'Correct', 'after.supersedes.none': '(a new outcome, correcting none)', 'after.note': 'Note (required for a correction: why)',
  'after.supersedes.option': 'outcome at log index {index}: {unit}, {result}, {date}',
  'after.correct.noreason': 'A correction needs its reason in the note.',
  'after.corrected': 'Correction of log index {old} recorded at log index {index}; both stay in the log.',
  'col.correction': 'Correction', 'after.corrects': 'corrects log index {index}', 'after.correctedby': 'corrected by log index {index}', 'after.inforce': 'in force',
  'rv.title': 'Quarterly return visits (commission)', 'rv.lead': 'A share (10% by default) of the units inspected in the quarter is drawn for return visits: the quarter\'s pool snapshot is logged, then the return-visit draw is announced; execute it once co-signed and the beacon round has come.',
  'rv.quarter': 'Quarter', 'rv.ratio': 'Ratio', 'rv.plan': 'Log the pool and announce (logged)', 'rv.pool': 'Pool snapshot',
  'rv.follow': 'Follow and execute', 'rv.execute': 'Execute the return-visit draw',
  'rv.planned': 'Return-visit draw {id} announced: pool {pool} ({count} units{reused}).', 'rv.reused': ', already logged',
  'rv.executed': 'Return-visit draw {id} executed: result at log index {index}.',
  'yes': 'yes', 'no': 'no', 'error': 'Refused ({status}): {m}',
  'readonly': 'This server is not the log\'s writer: it answers reads only ({why}).',
};

const ZH = {
  'signin.bad': '令牌被拒绝：{m}', 'signin.ok': '已登录：{name}（{role}）。', 'signin.gone': '已退出，令牌已从本标签页删除。',
  'reg.summary': '第 {version} 版：共 {count} 条。新增 {added}，移除（退出抽取池，变为停用）{removed}，变更 {changed}。文件 SHA-256 {sha}。',
  'reg.mass': '大批移除：{active} 个在用记录中将有 {retired} 个停用，超过 {limit}% 的上限。提交前需要您明确确认。',
  'reg.errors.msg': '文件被拒绝（{n} 个问题），未导入任何内容。',
  'reg.added': '新增', 'reg.retired': '移除（变为停用）', 'reg.changed': '变更', 'reg.more': '……另有 {n} 条',
  'reg.committed': '快照 {name} 已记入日志，序号 {index}（第 {version} 版，{count} 条，根哈希 {root}）。',
  'reg.absent': '文件中没有', 'reg.marked': '文件中标为停用', 'reg.nofile': '请先选择文件。',
  'plan.template.saved': '模板 {name} 已保存。',
  'plan.proposal': '第 {round} 轮信标将于 {time}（UTC {utc}）产生；见证人须在 {commit} 之前副署。提前期 {lead} 秒，余量 {margin} 秒。',
  'plan.valid': '计划有效。信标第 {round} 轮，{time}；检查对象快照 {units}（{ucount} 条）。',
  'plan.announced': '抽查 {id} 的公告已记入日志，序号 {index}。请发布检查点，由见证人副署承诺。',
  'plan.strata': '分层', 'plan.teams': '检查组', 'plan.zones': '协作区', 'plan.exclusions': '排除', 'plan.recusals': '回避',
  'plan.quota': '抽查数量', 'plan.match': '条件', 'plan.reserve': '备选', 'plan.label': '名称',
  'follow.met': '已满足：承诺已按时副署', 'follow.notmet': '未满足',
  'follow.published': '检查点（大小 {size}）已发布并副署；承诺：{drawn}。',
  'follow.executed': '抽查 {id} 已执行，结果记入日志序号 {index}。', 'follow.due': '轮次已到', 'follow.none': '（还没有抽查）',
  'cancel.done': '抽查 {id} 已取消：{reason}', 'cancel.noreason': '请填写取消原因。',
  'result.stratum': '分层', 'result.nk': '{n} 个中抽 {k} 个', 'result.reserve': '备选', 'result.none': '无', 'result.unfilled': '空缺',
  'result.meta': '结果在日志序号 {index}；信标第 {round} 轮；种子 {seed}',
  'after.recorded': '{unit} 的检查结果已记入日志，序号 {index}。', 'after.draw': '抽查 {id}：{title}',
  'after.nodraw': '请先在“跟踪与执行”中选择已完成抽取的抽查。', 'after.hashing': '计算中……',
  'notices.done': '已导出 {rows} 条通知：{file}。',
  'outcome.compliant': '合格', 'outcome.rectification_ordered': '责令改正', 'outcome.penalised': '行政处罚', 'outcome.not_inspected': '未检查',
  'status.announced': '已公告', 'status.drawn': '已抽取', 'status.cancelled': '已取消', 'status.superseded': '已被取代',
  'role.lead': '主办', 'role.assist': '协办', 'role.expert': '专家',
  'col.rank': '名次', 'col.name': '名称', 'col.ticket': '签号', 'col.team': '检查组', 'col.id': '编号', 'col.fields': '变更的字段',
  'reg.mapping.bad': '字段映射文件 {name} 不是 JSON：{m}', 'reg.sources': '文件（按优先顺序）：{names}；字段映射文件：{mapping}。',
  'reg.row': '{source} 第 {row} 行',
  'after.supersedes.option': '日志序号 {index} 的结果：{unit}，{result}，{date}',
  'after.correct.noreason': '更正必须在说明中写明原因。',
  'after.corrected': '对日志序号 {old} 的更正已记入日志，序号 {index}；两条记录都保留在日志中。',
  'after.corrects': '更正日志序号 {index}', 'after.correctedby': '已被日志序号 {index} 更正', 'after.inforce': '有效',
  'rv.planned': '回访抽查 {id} 已公告：回访名录 {pool}（{count} 个单位{reused}）。', 'rv.reused': '，此前已记入日志',
  'rv.executed': '回访抽查 {id} 已执行，结果记入日志序号 {index}。',
  'yes': '是', 'no': '否', 'error': '被拒绝（{status}）：{m}',
  'readonly': '本服务器不是日志的写入者，只能查询（{why}）。',
};

let lang = sessionStorage.getItem('fairdraw.console.lang') || 'zh';
const originals = new WeakMap();

export function currentLang() {
  return lang;
}

export function t(key, params = {}) {
  const table = lang === 'en' ? EN : ZH;
  let text = table[key];
  if (text === undefined) {
    const el = document.querySelector(`[data-i18n="${key}"]`);
    text = (el && originals.get(el)) || (el && el.textContent) || key;
  }
  return text.replace(/\{(\w+)\}/g, (_, k) => (params[k] === undefined ? `{${k}}` : String(params[k])));
}

/** Put every data-i18n element's label in the current language. */
export function applyLang(root = document) {
  document.documentElement.lang = lang === 'en' ? 'en' : 'zh-CN';
  for (const el of root.querySelectorAll('[data-i18n]')) {
    if (!originals.has(el)) originals.set(el, el.textContent);
    const key = el.dataset.i18n;
    el.textContent = lang === 'en' ? (EN[key] ?? originals.get(el)) : (ZH[key] ?? originals.get(el));
  }
}

export function setLang(next) {
  lang = next;
  sessionStorage.setItem('fairdraw.console.lang', next);
  applyLang();
}
