"""Search over reports and legacy records, as the policy allows."""

from flask import render_template, request
from flask_login import current_user

from app.blueprints.forms import page_number
from app.blueprints.search import bp
from app.blueprints.search.forms import SearchForm
from app.services.search import query as search_query
from app.services.search.schema import FACETS


@bp.route("/search")
def index():
    form = SearchForm(request.args)
    problem, results = None, None
    chosen = {name: request.args.getlist(name) for name, _ in FACETS if request.args.getlist(name)}
    if form.validate():
        search = search_query.SearchRequest(
            q=form.q.data or "",
            filters=chosen,
            date_from=form.date_from.data,
            date_to=form.date_to.data,
            sort=form.sort.data or "relevance",
            page=page_number(),
        )
        try:
            results = search_query.search(current_user, search)
        except search_query.QueryProblem as exc:
            problem = str(exc)
    return render_template(
        "search/index.html",
        form=form,
        results=results,
        problem=problem,
        chosen=chosen,
        facet_labels=dict(FACETS),
    )
