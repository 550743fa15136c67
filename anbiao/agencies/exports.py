"""Excel columns of the agency and expert registries (the same headers the import reads)."""

from anbiao.core.excel import Column


def numbered(qs):
    for serial, item in enumerate(qs, start=1):
        item.serial = serial
        yield item


AGENCY_COLUMNS = [
    Column("序号", lambda a: a.serial, 5),
    Column("机构名称", lambda a: a.name, 30),
    Column("统一社会信用代码", lambda a: a.uscc, 21),
    Column("资质", lambda a: a.qualification, 24),
    Column("资质证书编号", lambda a: a.qualification_no, 16),
    Column("资质有效期至", lambda a: a.qualification_expires_on, 12),
    Column("服务行业", lambda a: "、".join(a.specialty_labels), 18),
    Column("地址", lambda a: a.address, 26),
    Column("联系人", lambda a: a.contact_name, 8),
    Column("联系电话", lambda a: a.contact_phone, 13),
    Column("状态", lambda a: a.get_status_display(), 6),
    Column("在服务企业数", lambda a: a.serving, 8),
    Column("服务记录数", lambda a: a.records, 8),
    Column("备注", lambda a: a.note, 16),
]

EXPERT_COLUMNS = [
    Column("序号", lambda e: e.serial, 5),
    Column("姓名", lambda e: e.name, 8),
    Column("联系电话", lambda e: e.phone, 13),
    Column("工作单位", lambda e: e.employer, 24),
    Column("职称/职务", lambda e: e.title, 12),
    Column("资格", lambda e: e.qualification, 20),
    Column("专业行业", lambda e: "、".join(e.specialty_labels), 16),
    Column("所在机构", lambda e: e.agency.name if e.agency_id else "", 24),
    Column("登录账号", lambda e: e.user.username if e.user_id else "", 12),
    Column("状态", lambda e: e.get_status_display(), 6),
    Column("评审次数", lambda e: e.review_count, 8),
    Column("备注", lambda e: e.note, 16),
]
