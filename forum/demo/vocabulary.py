"""The words of the large data set, in the forum's six languages: each language's own
words about the information society (with some of their inflected forms), then made-up
words in its script for the rarer ones."""

# The shares of threads written in each language (of 100).
LANGUAGE_SHARES = {"en": 35, "fr": 15, "es": 15, "ar": 12, "ru": 12, "zh_Hans": 11}

VOCABULARIES = {
    "en": (
        "access broadband capacity community connectivity content cooperation coordination "
        "cybersecurity data development digital divide education enabling environment "
        "equitable evaluation financing framework governance health implementation inclusion "
        "indicators infrastructure innovation internet investment knowledge language learning "
        "libraries literacy local media mobile multilingual network open partnership policy "
        "privacy regional regulation report research rural satellite school science security "
        "skills spectrum stakeholders standards stocktaking strategy sustainable targets "
        "telecentre training trust universal women youth agriculture employment environment "
        "government business telemedicine radio spam interoperability accessibility disability "
        "heritage statistics monitoring commission ministry workshop consultation draft "
        "proposal review"
    ),
    "fr": (
        "accès débit capacités communauté connectivité contenus coopération coordination "
        "cybersécurité données développement numérique fracture éducation environnement "
        "équitable évaluation financement cadre gouvernance santé œuvre inclusion indicateurs "
        "infrastructures innovation internet investissements connaissances langues "
        "apprentissage bibliothèques alphabétisation locales médias mobile multilingue réseau "
        "ouvert partenariat politiques confidentialité régional réglementation rapport "
        "recherche rurales satellite école sciences sécurité compétences spectre parties "
        "prenantes normes stratégie durable objectifs télécentres formation confiance "
        "universel femmes jeunes agriculture emploi gouvernement entreprises télémédecine "
        "radio interopérabilité accessibilité handicap patrimoine statistiques suivi "
        "commission ministère atelier consultation projet proposition examen réseaux écoles "
        "bibliothèque politique développer"
    ),
    "es": (
        "acceso banda ancha capacidad comunidad conectividad contenido cooperación "
        "coordinación ciberseguridad datos desarrollo digital brecha educación entorno "
        "equitativo evaluación financiación marco gobernanza salud aplicación inclusión "
        "indicadores infraestructura innovación internet inversión conocimiento idioma "
        "aprendizaje bibliotecas alfabetización local medios móvil multilingüe red abierto "
        "asociación política privacidad regional regulación informe investigación rural "
        "satélite escuela ciencia seguridad habilidades espectro partes interesadas normas "
        "estrategia sostenible metas telecentros formación confianza universal mujeres "
        "jóvenes agricultura empleo gobierno empresas telemedicina radio interoperabilidad "
        "accesibilidad discapacidad patrimonio estadísticas seguimiento comisión ministerio "
        "taller consulta borrador propuesta revisión redes escuelas biblioteca países"
    ),
    "ru": (
        "доступ широкополосный потенциал сообщество связь контент сотрудничество координация "
        "кибербезопасность данные развитие цифровой разрыв образование среда справедливый "
        "оценка финансирование рамки управление здравоохранение внедрение показатели "
        "инфраструктура инновации интернет инвестиции знания язык обучение библиотеки "
        "грамотность местный медиа мобильный многоязычие сеть открытый партнерство политика "
        "конфиденциальность региональный регулирование доклад исследования сельский спутник "
        "школа наука безопасность навыки спектр заинтересованные стандарты стратегия "
        "устойчивый цели телецентры подготовка доверие универсальный женщины молодежь "
        "хозяйство занятость правительство бизнес телемедицина радио совместимость "
        "доступность инвалидность наследие статистика мониторинг комиссия министерство "
        "семинар консультация проект предложение обзор интернета сети школы библиотек "
        "развития"
    ),
    "ar": (
        "النفاذ النطاق العريض القدرات المجتمع الاتصال المحتوى التعاون التنسيق الأمن "
        "السيبراني البيانات التنمية الرقمية الفجوة التعليم البيئة المنصف التقييم التمويل "
        "الإطار الحوكمة الصحة التنفيذ الإدماج المؤشرات البنية التحتية الابتكار الإنترنت "
        "الاستثمار المعرفة اللغة التعلم المكتبات محو الأمية المحلي الإعلام المحمول متعدد "
        "اللغات الشبكة المفتوح الشراكة السياسات الخصوصية الإقليمي التنظيم التقرير البحث "
        "الريفي الساتل المدرسة العلوم المهارات الطيف أصحاب المصلحة المعايير الاستراتيجية "
        "المستدامة الأهداف مراكز التدريب الثقة الشامل المرأة الشباب الزراعة العمالة "
        "الحكومة الأعمال التطبيب الإذاعة التشغيل البيني الوصول الإعاقة التراث الإحصاءات "
        "الرصد اللجنة الوزارة حلقة عمل المشاورة مشروع اقتراح استعراض مكتبة شبكات بالإنترنت "
        "والتعليم"
    ),
    "zh_Hans": (
        "接入 宽带 能力 社区 连通性 内容 合作 协调 网络安全 数据 发展 数字 鸿沟 教育 环境 "
        "公平 评估 融资 框架 治理 卫生 实施 包容 指标 基础设施 创新 互联网 投资 知识 语言 "
        "学习 图书馆 扫盲 地方 媒体 移动 多语种 网络 开放 伙伴关系 政策 隐私 区域 监管 报告 "
        "研究 农村 卫星 学校 科学 安全 技能 频谱 利益攸关方 标准 战略 可持续 目标 电信中心 "
        "培训 信任 普遍 妇女 青年 农业 就业 政府 企业 远程医疗 广播 垃圾邮件 互操作性 无障碍 "
        "残疾 遗产 统计 监测 委员会 部委 讲习班 磋商 草案 提案 审查 信息社会 世界峰会"
    ),
}

# Syllables of the made-up words, three to a word (Chinese makes its own of two words).
SYLLABLES = {
    "en": "ka ri mo na te lu si po de ba vi go ne ra to mi sa lo pe du",
    "fr": "ou ai eau on re de la ti mé pa lu ré ci no vé ga mo ri su an",
    "es": "ca lo ra mi ta no pe si du be go ña ve ri jo te mu za li sa",
    "ru": "ка ри мо на те лу си по де ба ви го не ра то ми са ло пе ду",
    "ar": "كا ري مو نا تي لو سي بو دي با في غو ني را تو مي سا لو بي دو",
    "zh_Hans": "",
}
