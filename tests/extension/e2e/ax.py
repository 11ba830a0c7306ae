"""Reading the badges and cards as assistive technology does: the page's accessibility tree, through the
Chrome DevTools Protocol (the badges live in a closed shadow root that page scripts cannot reach)."""
from __future__ import annotations

from dataclasses import dataclass

BADGE_PREFIX = "Unmask:"


@dataclass
class AXNode:
    """One node of the accessibility tree: role, name, its DOM node id, its children's ids, whether ignored."""

    node_id: str
    role: str
    name: str
    backend_id: int | None
    children: list[str]
    ignored: bool


class AXReader:
    """The accessibility tree of one Playwright page."""

    def __init__(self, page):
        self.page = page
        self.cdp = page.context.new_cdp_session(page)
        self.cdp.send("Accessibility.enable")
        self.cdp.send("DOM.enable")

    def nodes(self) -> dict[str, AXNode]:
        """Every node of the page's tree, by id."""
        tree = self.cdp.send("Accessibility.getFullAXTree")["nodes"]
        return {n["nodeId"]: AXNode(n["nodeId"], (n.get("role") or {}).get("value", ""),
                                    str((n.get("name") or {}).get("value", "")), n.get("backendDOMNodeId"),
                                    n.get("childIds", []), bool(n.get("ignored")))
                for n in tree}

    def badges(self) -> list[AXNode]:
        """The Unmask badges on the page (buttons named "Unmask: ...")."""
        return [n for n in self.nodes().values()
                if not n.ignored and n.role == "button" and n.name.startswith(BADGE_PREFIX)]

    def badge_names(self) -> list[str]:
        """The accessible names of the badges."""
        return [n.name for n in self.badges()]

    def text_under(self, role: str, name: str) -> str:
        """All text inside the first node with this role and name (the details card, for example)."""
        nodes = self.nodes()
        start = next((n for n in nodes.values() if not n.ignored and n.role == role and n.name == name), None)
        if start is None:
            return ""
        parts, stack = [], [start.node_id]
        while stack:
            node = nodes.get(stack.pop())
            if node is None:
                continue
            if not node.ignored and node.role in ("StaticText", "img", "image") and node.name:
                parts.append(node.name)
            stack.extend(reversed(node.children))
        return "\n".join(parts)

    def click(self, node: AXNode) -> None:
        """Scroll a node into view (its page or a scrolling card), then click its middle with the mouse, as a
        person would."""
        self.cdp.send("DOM.scrollIntoViewIfNeeded", {"backendNodeId": node.backend_id})
        quad = self.cdp.send("DOM.getBoxModel", {"backendNodeId": node.backend_id})["model"]["border"]
        x = (quad[0] + quad[2] + quad[4] + quad[6]) / 4
        y = (quad[1] + quad[3] + quad[5] + quad[7]) / 4
        self.page.mouse.click(x, y)

    def box(self, node: AXNode) -> dict:
        """A node's border box in viewport pixels: {x, y, width, height}."""
        return self.box_of(node.backend_id)

    def box_of(self, backend_id: int) -> dict:
        """The border box of a DOM node (by backend id) in viewport pixels."""
        quad = self.cdp.send("DOM.getBoxModel", {"backendNodeId": backend_id})["model"]["border"]
        xs, ys = quad[0::2], quad[1::2]
        return {"x": min(xs), "y": min(ys), "width": max(xs) - min(xs), "height": max(ys) - min(ys)}

    def shadow_elements(self, class_name: str) -> list[dict]:
        """Elements with this class anywhere, closed shadow roots included: {backend_id, attributes}."""
        root = self.cdp.send("DOM.getDocument", {"depth": -1, "pierce": True})["root"]
        found, stack = [], [root]
        while stack:
            node = stack.pop()
            attrs = node.get("attributes", [])
            named = dict(zip(attrs[0::2], attrs[1::2]))
            if class_name in named.get("class", "").split():
                found.append({"backend_id": node["backendNodeId"], "attributes": named})
            stack.extend(node.get("children", []))
            stack.extend(node.get("shadowRoots", []))
            if node.get("contentDocument"):
                stack.append(node["contentDocument"])
        return found

    def focused(self) -> AXNode | None:
        """The node that has the keyboard focus (not the page itself, which reads as focused too)."""
        tree = self.cdp.send("Accessibility.getFullAXTree")["nodes"]
        nodes = self.nodes()
        focused = [nodes.get(raw["nodeId"]) for raw in tree
                   if any(p.get("name") == "focused" and (p.get("value") or {}).get("value")
                          for p in raw.get("properties", []))]
        focused = [node for node in focused if node is not None and node.role != "RootWebArea"]
        return focused[-1] if focused else None

    def inside(self, node: AXNode, role: str, name: str) -> bool:
        """Whether `node` is the first node with this role and name, or under it."""
        nodes = self.nodes()
        start = next((n for n in nodes.values() if not n.ignored and n.role == role and n.name == name), None)
        stack = [start.node_id] if start else []
        while stack:
            current = stack.pop()
            if current == node.node_id:
                return True
            stack.extend(nodes[current].children if current in nodes else [])
        return False

    def activate(self, node: AXNode, key: str = "Enter") -> None:
        """Focus a node and press a key, as a keyboard user does."""
        self.cdp.send("DOM.focus", {"backendNodeId": node.backend_id})
        self.page.keyboard.press(key)

    def button(self, name: str) -> AXNode | None:
        """The first button with this accessible name."""
        return next((n for n in self.nodes().values() if not n.ignored and n.role == "button" and n.name == name),
                    None)
