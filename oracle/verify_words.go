package oracle

import (
	"regexp"
	"strings"
)

// vocab is the vocabulary Verify reads a draft with, in one language: the
// words that end a clause, negate, hedge or claim certainty, the words
// that claim a direction, the unit and percentage words after a number,
// month names, and further names for parameters and outcomes. English
// words that the number scanner knows (" pp", " percent", "days") are
// read in every language; the rest is the language's own.
type vocab struct {
	clause, negations, hedges, certainty map[string]bool
	directions                           map[string]dirWord
	// inverters turn the direction word after them around ("moins
	// élevé" is lower); alone they are weak direction words, if listed.
	inverters map[string]bool
	// A future auxiliary ("wird") before an infinitive of direction
	// ("steigen") in a clause claims certainty, unless a softener
	// ("voraussichtlich") hedges it: German makes its future so.
	futureAux, futureVerbs, softeners map[string]bool
	// effectWords are prefixes of words that name the simulated effects
	// ("simulat", "effect").
	effectWords []string
	// points and percent are the words after a number that make it
	// percentage points or a percentage (after a space; tried longest
	// first).
	points, percent []string
	// units maps a word after a number to the unit it names ("tage" to
	// "day"): day, token, proposal, voter, holder.
	units map[string]string
	// rangeWords join a range's ends besides "to", "and" and dashes.
	rangeWords []string
	// percentile are the words for a percentile, which a number next to
	// it ("10. Perzentil", "percentil 10") names.
	percentile []string
	// months names the months, lower case, with their numbers.
	months map[string]int
	// aliases are further names of outcomes, by the outcome's code name
	// ("score" for the combined score).
	aliases map[string][]string
	// params are plain names of governance parameters some DAO has: one
	// the recommendation does not hold is a FindingUnknownParam.
	params [][]string
	// elision splits words at an apostrophe ("l'affluenza" is "l" and
	// "affluenza"), as French and Italian write articles.
	elision bool
	// decimalComma keeps "1,2" one word; abbrevs are words whose point
	// ends no clause ("pp" in "+1,2 Pp.").
	decimalComma bool
	abbrevs      map[string]bool

	dates dateRegexps
}

// dateRegexps are a language's written dates, besides ISO dates and
// English ones: day, month and year ("30. Juni 2025", "30 de junio de
// 2025"), and month and year ("junio de 2025"). Group 1 is the date,
// then come the day (dayMonthYear only), the month and the year.
type dateRegexps struct {
	dayMonthYear, monthYear *regexp.Regexp
}

func wordSet(words string) map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(words) {
		m[w] = true
	}
	return m
}

// directionSet builds the direction words from strong and weak words per
// direction ("up", "down", "better", "worse").
func directionSet(words map[string][2]string) map[string]dirWord {
	m := map[string]dirWord{}
	for dir, ws := range words {
		for _, w := range strings.Fields(ws[0]) {
			m[w] = dirWord{dir, true}
		}
		for _, w := range strings.Fields(ws[1]) {
			m[w] = dirWord{dir, false}
		}
	}
	return m
}

// unitSet maps each word of a unit's list to the unit.
func unitSet(units map[string]string) map[string]string {
	m := map[string]string{}
	for unit, ws := range units {
		for _, w := range strings.Fields(ws) {
			m[w] = unit
		}
	}
	return m
}

func monthSet(names string) map[string]int {
	m := map[string]int{}
	for i, group := range strings.Split(names, ";") {
		for _, w := range strings.Fields(group) {
			m[w] = i + 1
		}
	}
	return m
}

// vocabs holds the vocabulary of each language Verify reads.
var vocabs = func() map[string]*vocab {
	m := map[string]*vocab{
		"en": {
			clause:      clauseWords,
			negations:   negations,
			hedges:      hedges,
			certainty:   certaintyWords,
			directions:  directionWords,
			effectWords: []string{"simulat", "effect", "outcome"},
			units:       unitSet(map[string]string{"day": "day days", "token": "token tokens", "proposal": "proposal proposals", "voter": "voter voters", "holder": "holder holders"}),
			percentile:  []string{"percentile"},
			months:      months,
			aliases:     effectAliases,
			params:      paramVocabulary,
		},
		"de": {
			clause:    wordSet("aber während wohingegen obwohl jedoch doch und oder weil sodass denn allerdings dagegen hingegen"),
			negations: wordSet("nicht kein keine keinen keinem keiner keines nie niemals ohne weder kaum"),
			hedges:    wordSet("kann können könnte könnten würde würden möglicherweise vielleicht eventuell womöglich unklar unsicher ungewiss rauschen uneindeutig kandidat kandidaten null falls wenn"),
			certainty: wordSet("garantiert garantieren garantiere gewährleistet gewährleisten sicher sicherlich gewiss definitiv zweifellos zweifelsohne zwangsläufig unweigerlich stets immer bewiesen beweist"),
			directions: directionSet(map[string][2]string{
				"up": {"steigen steigt stieg stiegen gestiegen steigend ansteigen ansteigt anstieg erhöhen erhöht erhöhte erhöhten erhöhung anheben anzuheben hebt angehoben zunehmen zunahme wachsen wächst wuchs gewachsen wachstum verlängern verlängert verlängerte verlängerung verdoppeln verdoppelt heraufsetzen heraufgesetzt",
					"höher höhere höheren höherer mehr größer größere größeren länger längere längeren"},
				"down": {"sinken sinkt sank sanken gesunken sinkend fallen fällt fiel fielen gefallen senken senkt senkte gesenkt senkung absenken abzusenken abgesenkt verringern verringert verringerte verringerung reduzieren reduziert reduzierte reduktion verkürzen verkürzt verkürzte verkürzung abnehmen abnahme zurückgehen rückgang halbieren halbiert schrumpfen schrumpft herabsetzen herabgesetzt",
					"niedriger niedrigere niedrigeren weniger kleiner kleinere kürzer kürzere geringer geringere"},
				"better": {"verbessern verbessert verbesserte verbesserung", "besser bessere besseren"},
				"worse":  {"verschlechtern verschlechtert verschlechterte verschlechterung", "schlechter schlechtere"},
			}),
			abbrevs:     wordSet("pp ca bzw z b mio mrd tsd vgl d h u a"),
			futureAux:   wordSet("wird werden wirst"),
			futureVerbs: wordSet("steigen ansteigen sinken fallen zunehmen abnehmen wachsen schrumpfen zurückgehen verbessern verschlechtern erhöhen senken verringern"),
			softeners:   wordSet("voraussichtlich wahrscheinlich vermutlich erwartungsgemäß"),
			effectWords: []string{"simul", "effekt", "auswirkung", "wirkung", "ergebnis"},
			points:      []string{" Prozentpunkten", " Prozentpunkte", " Prozentpunkt", " Pp.", " Pp", " PP"},
			percent:     []string{" Prozent"},
			units:       unitSet(map[string]string{"day": "tag tage tagen", "token": "token tokens", "proposal": "vorschlag vorschläge vorschlägen", "voter": "wähler wählern stimmberechtigte", "holder": "inhaber inhabern"}),
			rangeWords:  []string{"bis", "und"},
			percentile:  []string{"perzentil", "perzentils"},
			months:      monthSet("januar jan; februar feb; märz mär; april apr; mai; juni jun; juli jul; august aug; september sep sept; oktober okt; november nov; dezember dez"),
			aliases: map[string][]string{
				"score":               {"Gesamtwert", "Gesamtpunktzahl", "Punktzahl"},
				"quorum_failure_rate": {"Quorumsverfehlungen", "Quorumsverfehlung", "Quorum verfehlt", "Quorum verfehlten", "am Quorum gescheitert"},
				"turnout":             {"Beteiligung", "Stimmbeteiligung"},
				"attack_success_rate": {"Angriffserfolg", "erfolgreiche Angriffe", "Angriffe"},
				"decision_quality":    {"Qualität der Entscheidungen"},
			},
			params: [][]string{{"abstimmungsverzögerung"}, {"timelock"}, {"zeitsperre"}, {"ausführungsverzögerung"}, {"karenzzeit"}, {"zustimmungsschwelle"}, {"vetoschwelle"}},
		},
		"fr": {
			clause:    wordSet("mais tandis alors cependant toutefois pourtant et ou car parce donc lorsque puisque quoique"),
			negations: wordSet("ne n pas non jamais sans ni aucun aucune guère"),
			hedges:    wordSet("pourrait pourraient peut peuvent possiblement éventuellement incertain incertaine incertains flou bruit candidat zéro si s"),
			certainty: wordSet("garantit garantissent garantir garanti garantie assure assurent assurer certainement assurément sûrement définitivement forcément inévitablement toujours prouvé prouve indubitablement sera seront augmentera augmenteront diminuera diminueront baissera baisseront montera monteront chutera chuteront progressera progresseront reculera reculeront améliorera amélioreront dégradera dégraderont empirera"),
			directions: directionSet(map[string][2]string{
				"up": {"augmenter augmente augmentent augmenté augmentée augmentés augmentées augmentation augmentera augmenteront hausse monter monte montent monté relever relève relèvent relevé relevée rehausser rehausse rehaussé accroître accroît accroissement accru accrue croître croît progresser progresse progression progressera allonger allonge allongé allongée allongement prolonger prolonge prolongé prolongée prolongation doubler doublé",
					"supérieur supérieure élevé élevée élevés élevées long longue longs davantage"},
				"down": {"diminuer diminue diminuent diminué diminuée diminution diminuera diminueront baisser baisse baissent baissé baissée baissera abaisser abaisse abaissé abaissée réduire réduit réduite réduisent réduction chuter chute chutent chutera reculer recule recul reculera raccourcir raccourcit raccourci raccourcie raccourcissement décroître décroît tomber tombe tombent fléchir fléchit",
					"moins inférieur inférieure faible faibles bas basse court courte"},
				"better": {"améliorer améliore améliorent amélioré améliorée amélioration améliorera amélioreront", "meilleur meilleure mieux"},
				"worse":  {"dégrader dégrade dégradent dégradé dégradée dégradation dégradera détériorer détériore détérioré détérioration aggraver aggrave aggravé empirer empire empirera", "pire"},
			}),
			inverters:   wordSet("moins"),
			abbrevs:     wordSet("env p"),
			effectWords: []string{"simul", "effet", "résultat"},
			points:      []string{" points de pourcentage", " point de pourcentage", " pts", " pt"},
			percent:     []string{" pour cent"},
			units:       unitSet(map[string]string{"day": "jour jours", "token": "jeton jetons token tokens", "proposal": "proposition propositions", "voter": "votant votants électeur électeurs", "holder": "détenteur détenteurs"}),
			rangeWords:  []string{"à", "a", "et"},
			percentile:  []string{"centile", "percentile"},
			months:      monthSet("janvier janv; février févr; mars; avril avr; mai; juin; juillet juil; août; septembre sept; octobre oct; novembre nov; décembre déc"),
			aliases: map[string][]string{
				"score":               {"score global", "score"},
				"quorum_failure_rate": {"échecs de quorum", "échec du quorum", "quorum non atteint", "n'ont pas atteint le quorum"},
				"attack_success_rate": {"réussite des attaques", "attaques réussies", "attaques"},
			},
			params:  [][]string{{"délai", "de", "vote"}, {"timelock"}, {"délai", "d", "exécution"}, {"seuil", "de", "veto"}},
			elision: true,
		},
		"es": {
			clause:    wordSet("pero mientras aunque sino y e o u porque pues embargo"),
			negations: wordSet("no nunca jamás sin ni ningún ninguna ninguno tampoco"),
			hedges:    wordSet("podría podrían puede pueden posiblemente quizá quizás acaso incierto incierta ruido candidato candidata cero si"),
			certainty: wordSet("garantiza garantizan garantizar garantizado garantizada asegura aseguran asegurar asegurado ciertamente seguramente definitivamente indudablemente inevitablemente siempre demostrado demuestra será serán aumentará aumentarán subirá subirán bajará bajarán disminuirá disminuirán caerá caerán crecerá crecerán mejorará mejorarán empeorará empeorarán reducirá reducirán"),
			directions: directionSet(map[string][2]string{
				"up": {"aumentar aumenta aumentan aumentó aumentado aumentada aumento aumentará aumentarán aumente aumenten subir sube suben subió subido subida suba suban subirá elevar eleva elevan eleve incrementar incrementa incrementan incremento incrementado crecer crece crecen crecimiento crecerá alargar alarga alargado alargue ampliar amplía ampliado ampliación prolongar prolonga prolongado duplicar duplica",
					"mayor mayores superior alto alta altos altas largo larga elevado elevada"},
				"down": {"disminuir disminuye disminuyen disminuyó disminuido disminución disminuya bajar baja bajan bajó bajado baje bajen bajará reducir reduce reducen redujo reducido reducida reducción reduzca reduzcan caer cae caen cayó caída caiga descender desciende descenso acortar acorta acortado acorte rebajar rebaja recortar recorta recorte",
					"menor menores inferior bajo bajos bajas corto corta menos"},
				"better": {"mejorar mejora mejoran mejoró mejorado mejoría mejore mejorará", "mejor mejores"},
				"worse":  {"empeorar empeora empeoran empeoró empeorado empeore empeorará deteriorar deteriora deterioro", "peor peores"},
			}),
			inverters:   wordSet("menos"),
			abbrevs:     wordSet("p pp aprox"),
			effectWords: []string{"simul", "efecto", "resultado"},
			points:      []string{" puntos porcentuales", " punto porcentual", " p.\u00a0p.", " p. p.", " p.p.", " pp."},
			percent:     []string{" por ciento"},
			units:       unitSet(map[string]string{"day": "día días dia dias", "token": "token tokens", "proposal": "propuesta propuestas", "voter": "votante votantes", "holder": "titular titulares tenedor tenedores"}),
			rangeWords:  []string{"a", "y", "hasta"},
			percentile:  []string{"percentil"},
			months:      monthSet("enero ene; febrero feb; marzo mar; abril abr; mayo; junio jun; julio jul; agosto ago; septiembre setiembre sep; octubre oct; noviembre nov; diciembre dic"),
			aliases: map[string][]string{
				"score":               {"puntuación global", "puntuación"},
				"quorum_failure_rate": {"fallos de quórum", "no alcanzó el quórum", "no alcanzaron el quórum"},
				"attack_success_rate": {"éxito de los ataques", "ataques exitosos", "ataques"},
			},
			params: [][]string{{"retraso", "de", "votación"}, {"timelock"}, {"retraso", "de", "ejecución"}, {"umbral", "de", "veto"}},
		},
		"it": {
			clause:    wordSet("ma mentre sebbene benché però tuttavia e ed o oppure perché poiché quindi cui"),
			negations: wordSet("non mai senza né nessun nessuno nessuna"),
			hedges:    wordSet("potrebbe potrebbero può possono possibilmente forse eventualmente incerto incerta rumore candidato zero se"),
			certainty: wordSet("garantisce garantiscono garantire garantito garantita assicura assicurano assicurare certamente sicuramente definitivamente indubbiamente inevitabilmente sempre dimostrato sarà saranno aumenterà aumenteranno salirà saliranno scenderà scenderanno diminuirà diminuiranno calerà caleranno crescerà cresceranno migliorerà miglioreranno peggiorerà peggioreranno ridurrà"),
			directions: directionSet(map[string][2]string{
				"up": {"aumentare aumenta aumentano aumentato aumentata aumento aumentino salire sale salgono salito alzare alza alzano alzato alzata innalzare innalza innalzato crescere cresce crescono cresciuto crescita allungare allunga allungato prolungare prolunga prolungato estendere estende esteso raddoppiare raddoppia incrementare incrementa incremento",
					"maggiore maggiori superiore alto alta alti lungo lunga elevato elevata"},
				"down": {"diminuire diminuisce diminuiscono diminuito diminuzione scendere scende scendono sceso abbassare abbassa abbassato abbassata ridurre riduce riducono ridotto ridotta riduzione riducano calare cala calano calato calo accorciare accorcia accorciato dimezzare dimezza",
					"minore minori inferiore basso bassa bassi breve corto corta meno"},
				"better": {"migliorare migliora migliorano migliorato miglioramento", "migliore migliori meglio"},
				"worse":  {"peggiorare peggiora peggiorano peggiorato peggioramento deteriorare", "peggiore peggio"},
			}),
			inverters:   wordSet("meno"),
			abbrevs:     wordSet("p pp ca"),
			effectWords: []string{"simul", "effett", "risultat"},
			points:      []string{" punti percentuali", " punto percentuale", " p.p.", " pp."},
			percent:     []string{" per cento"},
			units:       unitSet(map[string]string{"day": "giorno giorni", "token": "token", "proposal": "proposta proposte", "voter": "votante votanti elettore elettori", "holder": "detentore detentori"}),
			rangeWords:  []string{"a", "e"},
			percentile:  []string{"percentile"},
			months:      monthSet("gennaio gen; febbraio feb; marzo mar; aprile apr; maggio mag; giugno giu; luglio lug; agosto ago; settembre set; ottobre ott; novembre nov; dicembre dic"),
			aliases: map[string][]string{
				"score":               {"punteggio complessivo", "punteggio"},
				"turnout":             {"partecipazione"},
				"quorum_failure_rate": {"mancato quorum", "non ha raggiunto il quorum", "non hanno raggiunto il quorum"},
				"attack_success_rate": {"successo degli attacchi", "attacchi riusciti", "attacchi"},
			},
			params:  [][]string{{"ritardo", "di", "voto"}, {"timelock"}, {"ritardo", "di", "esecuzione"}, {"soglia", "di", "veto"}},
			elision: true,
		},
		"pt": {
			clause:    wordSet("mas enquanto embora porém contudo todavia e ou porque pois"),
			negations: wordSet("não nunca jamais sem nem nenhum nenhuma"),
			hedges:    wordSet("pode podem poderia poderiam possivelmente talvez eventualmente incerto incerta ruído candidato zero se"),
			certainty: wordSet("garante garantem garantir garantido garantida assegura asseguram assegurar certamente seguramente definitivamente indubitavelmente inevitavelmente sempre comprovado será serão aumentará aumentarão subirá subirão cairá cairão diminuirá diminuirão crescerá crescerão melhorará melhorarão piorará piorarão reduzirá"),
			directions: directionSet(map[string][2]string{
				"up": {"aumentar aumenta aumentam aumentou aumentado aumentada aumento aumentem subir sobe sobem subiu suba elevar eleva elevam crescer cresce crescem cresceu crescimento prolongar prolonga prolongado alongar alonga estender estende dobrar dobra incrementar incremento",
					"maior maiores superior alto alta altos longo longa elevado elevada"},
				"down": {"diminuir diminui diminuem diminuiu diminuído diminuição reduzir reduz reduzem reduziu reduzido reduzida redução reduzam cair cai caem caiu queda baixar baixa baixam baixou baixado encurtar encurta encurtado recuar recua",
					"menor menores inferior baixo baixos curto curta menos"},
				"better": {"melhorar melhora melhoram melhorou melhorado melhoria", "melhor melhores"},
				"worse":  {"piorar piora pioram piorou piorado deteriorar deterioração", "pior piores"},
			}),
			inverters:   wordSet("menos"),
			abbrevs:     wordSet("p pp aprox"),
			effectWords: []string{"simul", "efeito", "resultado"},
			points:      []string{" pontos percentuais", " ponto percentual", " p.p.", " pp."},
			percent:     []string{" por cento"},
			units:       unitSet(map[string]string{"day": "dia dias", "token": "token tokens", "proposal": "proposta propostas", "voter": "votante votantes eleitor eleitores", "holder": "detentor detentores"}),
			rangeWords:  []string{"a", "e", "até"},
			percentile:  []string{"percentil"},
			months:      monthSet("janeiro jan; fevereiro fev; março mar; abril abr; maio mai; junho jun; julho jul; agosto ago; setembro set; outubro out; novembro nov; dezembro dez"),
			aliases: map[string][]string{
				"score":               {"pontuação geral", "pontuação"},
				"quorum_failure_rate": {"falhas de quórum", "não atingiram o quórum", "não atingiu o quórum"},
				"attack_success_rate": {"sucesso dos ataques", "ataques bem-sucedidos", "ataques"},
			},
			params: [][]string{{"atraso", "de", "votação"}, {"timelock"}, {"atraso", "de", "execução"}, {"limite", "de", "veto"}},
		},
	}
	for code, v := range m {
		if code != "en" {
			v.dates = dateRegexpsFor(v.months)
			v.decimalComma = true
		}
	}
	return m
}()

// vocabOf returns the vocabulary of lang (see FactSheet.Language):
// English for "" and any language attune does not draft in.
func vocabOf(lang string) *vocab { return vocabs[baseLanguage(lang)] }

// dateRegexpsFor builds the written dates of a language with the given
// month names: "30. Juni 2025", "30 de junio de 2025", "30 juin 2025",
// "junio de 2025".
func dateRegexpsFor(months map[string]int) dateRegexps {
	names := make([]string, 0, len(months))
	for n := range months {
		names = append(names, regexp.QuoteMeta(n))
	}
	// Longest first, so "juni" is not read as "jun".
	sortByLenDesc(names)
	month := `(?i:(` + strings.Join(names, "|") + `)\.?)`
	return dateRegexps{
		dayMonthYear: regexp.MustCompile(`(?:^|[^\p{L}\d])((\d{1,2})(?:\.|º|°|er)?\s+(?:de\s+)?` + month + `,?\s+(?:de\s+)?(\d{4}))(?:$|[^\p{L}\d])`),
		monthYear:    regexp.MustCompile(`(?:^|[^\p{L}\d])(` + month + `,?\s+(?:de\s+)?(\d{4}))(?:$|[^\p{L}\d])`),
	}
}

func sortByLenDesc(s []string) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && (len(s[j]) > len(s[j-1]) || len(s[j]) == len(s[j-1]) && s[j] < s[j-1]); j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}

// unitOf returns the unit a word after a number names ("days" and
// "Tage" are "day"), or "": English words are read in every language.
func (vc *vocab) unitOf(w string) string {
	w = strings.ToLower(w)
	if u := vocabs["en"].units[w]; u != "" {
		return u
	}
	return vc.units[w]
}

// isPercentile reports whether w names a percentile.
func (vc *vocab) isPercentile(w string) bool {
	w = strings.ToLower(w)
	for _, p := range vc.percentile {
		if w == p {
			return true
		}
	}
	return w == "percentile"
}
