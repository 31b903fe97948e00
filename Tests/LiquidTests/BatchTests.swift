import Testing
@testable import Liquid

@Suite struct BatchTests {
    @Test(arguments: [
        (#"{"template": "Hi {{ name }}", "data": {"name": "Ada"}}"#, #"{"output":"Hi Ada"}"#),
        (#"{"template": "{% render 'p' %}", "partials": {"p": "<b>{{ 2 | times: 3 }}</b>"}}"#, #"{"output":"<b>6</b>"}"#),
        (#"{"template": "{{ x }}", "data": {"x": "<i>"}, "autoescape": true}"#, #"{"output":"&lt;i&gt;"}"#),
        (#"{"template": "{{ a b }}", "data": {"a": 1}, "error_mode": "lax"}"#, #"{"output":"1"}"#),
        (#"{"template": "{% if %}"}"#,
         #"{"error":{"message":"Expected a value or variable but found end of tag","kind":"syntax","line":1,"column":7}}"#),
        (#"{"template": "{{ u.x }}", "data": {"u": {}}, "strict_variables": true}"#,
         #"{"error":{"message":"undefined variable u.x","kind":"undefined_variable","line":1,"column":4}}"#),
        (#"{"data": {}}"#, #"{"error":{"message":"request needs a \"template\" string","kind":"argument","line":null,"column":null}}"#),
        ("{not json", #"{"error":{"message":"invalid JSON request: invalid JSON at byte 1: expected a string key","kind":"argument","line":null,"column":null}}"#),
        (#"{"template": "x", "error_mode": "loose"}"#, #"{"error":{"message":"\"error_mode\" must be \"strict\" or \"lax\"","kind":"argument","line":null,"column":null}}"#),
    ])
    func answersEveryLine(line: String, answer: String) {
        #expect(RenderRequest.respond(toLine: line) == answer)
    }
}
