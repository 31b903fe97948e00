import Testing
@testable import Liquid

@Suite struct AnalysisTests {
    @Test func listsVariablesFiltersTagsAndPartials() throws {
        let source = """
            {% assign first = user.first_name | default: "there" | capitalize %}
            {% for item in cart.items limit: 3 %}{{ item.title | escape }} {{ forloop.index }}{% endfor %}
            {{ first }} {{ user.profile["plan"] }} {% render 'footer', brand: brand %}{{ x | shout }}
            """
        let analysis = try Environment().parse(source).analysis
        #expect(analysis.globalVariables == ["user.first_name", "cart.items", "user.profile.plan", "brand", "x"])
        #expect(analysis.variables.contains("item.title"))
        #expect(analysis.assigned == ["first"])
        #expect(analysis.filters == ["default", "capitalize", "escape", "shout"])
        #expect(analysis.unknownFilters == ["shout"])
        #expect(analysis.tags == ["assign", "for", "render"])
        #expect(analysis.partials == ["footer"])
    }
}
