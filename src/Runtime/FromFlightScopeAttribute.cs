using System;

namespace SingleFlight;

/// <summary>
/// Marks a parameter of a <see cref="SingleFlightAttribute"/> method's <em>core method</em> that the generated code
/// resolves from a dependency-injection scope owned by the flight, instead of taking it from the caller.
/// </summary>
/// <remarks>
/// <para>
/// A shared flight's work serves callers from many requests, so it must not run on the leader's scoped services (a
/// <c>DbContext</c>, a scoped <c>HttpClient</c>, a unit of work): they are disposed when the leader's request ends,
/// while the other callers still wait. For a core method with <c>[FromFlightScope]</c> parameters, the generated code
/// creates a new scope from the containing type's <c>IServiceScopeFactory</c> (a field, property or primary-constructor
/// parameter of that type) when the flight starts, resolves each marked parameter from it, and disposes the scope once
/// the work has ended, with a value, an exception or a cancellation. Joiners never create a scope.
/// </para>
/// <para>
/// The core method has the annotated method's parameters, in order, with the marked parameters anywhere among them.
/// A marked parameter is passed by value and has a named type (not a bare type parameter, not <c>Nullable&lt;T&gt;</c>).
/// One of a nullable reference type is optional (<c>GetService</c>); any other must be registered
/// (<c>GetRequiredService</c>, which throws <see cref="InvalidOperationException"/> naming the missing service).
/// The result must not depend on the scope once the core has returned (materialise queries in the core).
/// </para>
/// </remarks>
/// <example>
/// <code>
/// public sealed partial class UserRepository(IServiceScopeFactory scopes)
/// {
///     [SingleFlight(KeyFrom = "id")]
///     public partial Task&lt;User?&gt; GetUserAsync(int id, CancellationToken cancellationToken = default);
///
///     private static async Task&lt;User?&gt; GetUserCoreAsync(int id, [FromFlightScope] AppDb db, CancellationToken cancellationToken)
///         => await db.Users.FindAsync([id], cancellationToken);
/// }
/// </code>
/// </example>
[AttributeUsage(AttributeTargets.Parameter, AllowMultiple = false, Inherited = false)]
public sealed class FromFlightScopeAttribute : Attribute
{
}
