using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;
using SingleFlight.Generator.Diagnostics;
using SingleFlight.Generator.Parsing;

namespace SingleFlight.Generator.Analyzers;

/// <summary>
/// SF0012 and SF0013: what the core of a shared flight (the default <c>Scope</c>) takes from the instance it runs on,
/// which is the instance of whichever caller started the flight.
/// </summary>
/// <remarks>
/// <para>The core's body is read as operations (<see cref="IOperation"/>), lambdas and local functions included, and so
/// is the body of every method of the same type that it calls or passes as a method group, one level deep. Each
/// instance member of the containing type (field, property, captured primary-constructor parameter, through
/// <c>this</c> or implicitly) is judged once, at its first use:</para>
/// <list type="bullet">
/// <item>SF0012 when its value is caller-owned: a disposable type (<c>IDisposable</c> or <c>IAsyncDisposable</c>) that is not
/// one of <see cref="SharedDisposables"/>; a <c>Lazy&lt;T&gt;</c> of such a type; or an <c>IServiceProvider</c>, which in a
/// scoped or transient service is the caller's scope.</item>
/// <item>SF0013 otherwise, when it can differ between callers: its type carries a caller's identity (a short list of
/// ASP.NET Core and claims types, and a naming rule: <see cref="CarriesCallerIdentity"/>), or the containing type is a
/// struct or a record (its members are its value, which differs between the instances that share a flight), or it is
/// mutable state that something other than the constructors and the flight itself writes
/// (<see cref="DescribeMutableState"/>). A member the key mentions is in the key and not reported.</item>
/// </list>
/// <para>Types listed in the <c>singleflight.shared_types</c> option of <c>.editorconfig</c> are the same for every caller
/// and never reported by either rule.</para>
/// </remarks>
internal static class InstanceStateRules
{
    /// <summary>The <c>.editorconfig</c> option: comma-separated full names of types whose instances every caller shares.</summary>
    public const string SharedTypesOption = "singleflight.shared_types";

    /// <summary>
    /// Disposable types made to be shared by every caller (singletons, the service's own instruments): never SF0012. A
    /// member matches when its type is one of these or derives from or implements one.
    /// </summary>
    private static readonly (string Namespace, string Name, int Arity)[] SharedDisposables =
    [
        ("Microsoft.Extensions.Caching.Memory", "IMemoryCache", 0),
        ("Microsoft.Extensions.Logging", "ILoggerFactory", 0),
        ("Microsoft.Extensions.Logging", "ILoggerProvider", 0),
        ("StackExchange.Redis", "IConnectionMultiplexer", 0),
        ("MongoDB.Driver", "IMongoClient", 0),
        ("System.Data.Common", "DbDataSource", 0),
        ("System.Diagnostics", "ActivitySource", 0),
        ("System.Diagnostics.Metrics", "Meter", 0),
        ("System.Diagnostics.Metrics", "IMeterFactory", 0),
        // A service's own synchronization primitives (a throttle, a gate): no scope hands them out.
        ("System.Threading", "SemaphoreSlim", 0),
        ("System.Threading", "ManualResetEventSlim", 0),
        ("System.Threading", "ReaderWriterLockSlim", 0),
        ("System.Threading", "CountdownEvent", 0),
        ("System.Threading", "Barrier", 0),
        ("System.Threading", "WaitHandle", 0),

        // Disposable in name only: a Task holds no resource a scope could take away.
        ("System.Threading.Tasks", "Task", 0),
    ];

    /// <summary>Types whose value is a caller's request or identity: always SF0013 (the type, a base type or an interface).</summary>
    private static readonly (string Namespace, string Name, int Arity)[] IdentityTypes =
    [
        ("Microsoft.AspNetCore.Http", "IHttpContextAccessor", 0),
        ("Microsoft.AspNetCore.Http", "HttpContext", 0),
        ("Microsoft.AspNetCore.Http", "HttpRequest", 0),
        ("Microsoft.AspNetCore.Http", "HttpResponse", 0),
        ("Microsoft.AspNetCore.Http", "ISession", 0),
        ("Microsoft.AspNetCore.Components.Authorization", "AuthenticationStateProvider", 0),
        ("System.Security.Claims", "ClaimsPrincipal", 0),
        ("System.Security.Claims", "ClaimsIdentity", 0),
        ("System.Security.Principal", "IPrincipal", 0),
        ("System.Security.Principal", "IIdentity", 0),
    ];

    /// <summary>Words of a type name that name a caller (the naming rule of <see cref="CarriesCallerIdentity"/>).</summary>
    private static readonly HashSet<string> IdentityWords = new(StringComparer.Ordinal)
    {
        "Tenant", "User", "Principal", "Identity", "Caller", "Session", "Claims",
    };

    /// <summary>Words that, after an identity word, still name a holder of the caller's identity (<c>ITenantContext</c>).</summary>
    private static readonly HashSet<string> HolderWords = new(StringComparer.Ordinal)
    {
        "Context", "Accessor", "Provider", "Info", "Information", "Details", "Data", "Resolver", "Holder", "State",
    };

    /// <summary>
    /// When the method of the symbol action is the core of a <c>[SingleFlight]</c> method of its type (found by name: the
    /// method whose core name it has, with the attribute, parsed as the generator parses it), runs both rules on it. The
    /// diagnostics are reported from the core's own symbol action, so that they are local to the core's declaration
    /// (the IDE shows and fixes them in the open file); the annotated method is parsed again for it (without reporting),
    /// only for methods named like a core.
    /// </summary>
    public static void AnalyzeIfCore(SymbolAnalysisContext context, INamedTypeSymbol attributeType)
    {
        var core = (IMethodSymbol)context.Symbol;
        var ct = context.CancellationToken;
        if (core.MethodKind != MethodKind.Ordinary || core.IsStatic || core.PartialDefinitionPart is not null || core.ContainingType is not { } type)
        {
            return;
        }

        foreach (var candidate in AnnotatedMethodNames(core.Name))
        {
            foreach (var member in type.GetMembers(candidate))
            {
                if (member is not IMethodSymbol method || method.PartialDefinitionPart is not null)
                {
                    continue;
                }

                foreach (var attribute in method.GetAttributes())
                {
                    if (!SymbolEqualityComparer.Default.Equals(attribute.AttributeClass, attributeType)
                        || attribute.ApplicationSyntaxReference?.GetSyntax(ct) is not AttributeSyntax { Parent.Parent: MethodDeclarationSyntax declaration })
                    {
                        continue;
                    }

#pragma warning disable RS1030 // Do not invoke Compilation.GetSemanticModel() method within a diagnostic analyzer
                    var model = context.Compilation.GetSemanticModel(declaration.SyntaxTree);
#pragma warning restore RS1030
                    var parsed = MethodParser.Parse(method, declaration, model, ignoreGeneratedImplementation: true, report: null, out _, ct);
                    if (parsed is not null && SymbolEqualityComparer.Default.Equals(parsed.CoreMethod, core))
                    {
                        Analyze(context, parsed);
                    }

                    break;
                }
            }
        }
    }

    /// <summary>The names whose core method name is <paramref name="coreName"/> (<see cref="MethodParser.GetCoreMethodName"/> reversed).</summary>
    private static IEnumerable<string> AnnotatedMethodNames(string coreName)
    {
        if (coreName.EndsWith("CoreAsync", StringComparison.Ordinal))
        {
            var name = coreName.Substring(0, coreName.Length - "CoreAsync".Length) + "Async";
            if (MethodParser.GetCoreMethodName(name) == coreName)
            {
                yield return name;
            }
        }

        if (coreName.EndsWith("Core", StringComparison.Ordinal))
        {
            var name = coreName.Substring(0, coreName.Length - "Core".Length);
            if (name.Length > 0 && MethodParser.GetCoreMethodName(name) == coreName)
            {
                yield return name;
            }
        }
    }

    /// <summary>Runs both rules for one successfully parsed method.</summary>
    public static void Analyze(SymbolAnalysisContext context, ParsedMethod parsed)
    {
        var ct = context.CancellationToken;
        if (parsed.Attribute.Scope == SingleFlightScopeKind.Instance)
        {
            return;
        }

        var core = parsed.CoreMethod;
        if (core.IsStatic || BodyOf(core, ct) is not { } coreSyntax)
        {
            return;
        }

        var type = parsed.Method.ContainingType;
        var compilation = context.Compilation;
        var walker = new Walker(compilation, type, core, ct);
        walker.WalkCore(coreSyntax);
        if (walker.Uses.Count == 0)
        {
            return;
        }

        var shared = SharedTypes(context.Options, parsed.Declaration.SyntaxTree);
        HashSet<ISymbol>? inKey = null;
        var methodLocation = parsed.Declaration.Identifier.GetLocation();
        var reported = new HashSet<ISymbol>(SymbolEqualityComparer.Default);

        foreach (var use in walker.Uses)
        {
            ct.ThrowIfCancellationRequested();
            if (use.IsWrite || !reported.Add(use.Member))
            {
                continue;
            }

            var memberType = TypeOf(use.Member);
            if (memberType is null || IsListed(memberType, shared))
            {
                continue;
            }

            var what = Describe(use);
            var additional = use.Helper is null ? new[] { methodLocation } : new[] { methodLocation, use.Syntax.GetLocation() };
            var location = use.Helper is null ? use.Syntax.GetLocation() : use.HelperCall!.GetLocation();
            var properties = ImmutableDictionary<string, string?>.Empty
                .Add(DiagnosticDescriptors.MemberNameProperty, use.Member.Name);
            if (use.Helper is not null)
            {
                properties = properties.Add(DiagnosticDescriptors.ThroughMethodProperty, use.Helper.Name);
            }

            var typeText = memberType.ToDisplayString(SymbolDisplayFormat.MinimallyQualifiedFormat);
            if (IsCallerOwned(memberType, out var isProvider))
            {
                var descriptor = isProvider ? DiagnosticDescriptors.CallerScopeProvider
                    : IsLazy(memberType) ? DiagnosticDescriptors.CallerOwnedLazyDisposable
                    : DiagnosticDescriptors.CallerOwnedDisposable;
                context.ReportDiagnostic(Diagnostic.Create(
                    descriptor,
                    location,
                    additional,
                    properties,
                    core.Name,
                    what,
                    typeText,
                    parsed.Method.Name));
                continue;
            }

            inKey ??= MembersInKey(parsed.Key, ct);
            if (inKey.Contains(use.Member.OriginalDefinition))
            {
                continue;
            }

            if (CarriesCallerIdentity(memberType))
            {
                context.ReportDiagnostic(Diagnostic.Create(
                    DiagnosticDescriptors.CallerIdentityState, location, additional, properties, core.Name, what, typeText, parsed.Method.Name));
                continue;
            }

            if (type.IsValueType || type.IsRecord)
            {
                context.ReportDiagnostic(Diagnostic.Create(
                    DiagnosticDescriptors.CallerValueData,
                    location,
                    additional,
                    properties,
                    core.Name,
                    what,
                    typeText,
                    parsed.Method.Name,
                    type.IsRecord ? (type.IsValueType ? "record struct" : "record") : "struct",
                    type.ToDisplayString(SymbolDisplayFormat.MinimallyQualifiedFormat)));
                continue;
            }

            if (DescribeMutableState(use.Member, walker, compilation, ct) is { } mutable)
            {
                context.ReportDiagnostic(Diagnostic.Create(
                    DiagnosticDescriptors.CallerMutableState,
                    location,
                    additional,
                    properties,
                    core.Name,
                    what,
                    typeText,
                    parsed.Method.Name,
                    mutable.Writer));
            }
        }
    }

    // ---- what the core uses ---------------------------------------------------------------------------------

    /// <summary>One use of an instance member: where, and whether through a method the core calls.</summary>
    internal sealed class MemberUse(ISymbol member, SyntaxNode syntax, bool isWrite, IMethodSymbol? helper, SyntaxNode? helperCall)
    {
        /// <summary>The field, property or primary-constructor parameter (original definitions).</summary>
        public ISymbol Member { get; } = member;

        /// <summary>The reference: <c>db</c>, <c>_db</c>, <c>this._db</c>, <c>Db</c>.</summary>
        public SyntaxNode Syntax { get; } = syntax;

        /// <summary>Whether the use writes the member (assignment, increment, <c>ref</c>/<c>out</c> argument).</summary>
        public bool IsWrite { get; } = isWrite;

        /// <summary>The method of the type the use is in, when it is not the core.</summary>
        public IMethodSymbol? Helper { get; } = helper;

        /// <summary>The core's first call of <see cref="Helper"/>.</summary>
        public SyntaxNode? HelperCall { get; } = helperCall;
    }

    /// <summary>Collects the instance-member uses of a core and of the methods of its type it calls.</summary>
    internal sealed class Walker(Compilation compilation, INamedTypeSymbol type, IMethodSymbol core, CancellationToken ct)
    {
        private readonly Dictionary<IMethodSymbol, SyntaxNode> _helpers = new(SymbolEqualityComparer.Default);

        /// <summary>Every use, in order: the core's own first (source order), then each helper's.</summary>
        public List<MemberUse> Uses { get; } = [];

        /// <summary>The core and the methods it calls: what "the flight" runs.</summary>
        public HashSet<IMethodSymbol> FlightMethods { get; } = new(SymbolEqualityComparer.Default);

        public void WalkCore(MethodDeclarationSyntax coreSyntax)
        {
            FlightMethods.Add(core.OriginalDefinition);
            if (OperationOf(coreSyntax) is not { } body)
            {
                return;
            }

            Collect(body, helper: null, helperCall: null, followCalls: true);
            foreach (var pair in _helpers)
            {
                ct.ThrowIfCancellationRequested();
                FlightMethods.Add(pair.Key);
                if (BodyOf(pair.Key, ct) is { } helperSyntax && OperationOf(helperSyntax) is { } helperBody)
                {
                    Collect(helperBody, pair.Key, pair.Value, followCalls: false);
                }
            }
        }

        private IOperation? OperationOf(MethodDeclarationSyntax syntax)
        {
            // The analyzer driver caches a semantic model per tree for the compilation it analyses; a symbol action has no
            // other way to reach the core's tree (it may be another file of a partial type).
#pragma warning disable RS1030 // Do not invoke Compilation.GetSemanticModel() method within a diagnostic analyzer
            var model = compilation.GetSemanticModel(syntax.SyntaxTree);
#pragma warning restore RS1030
            return model.GetOperation(syntax, ct);
        }

        private void Collect(IOperation root, IMethodSymbol? helper, SyntaxNode? helperCall, bool followCalls)
        {
            foreach (var operation in root.Descendants())
            {
                ISymbol? member = operation switch
                {
                    IFieldReferenceOperation { Field.IsStatic: false } field when IsThis(field.Instance) => field.Field,
                    IPropertyReferenceOperation { Property: { IsStatic: false, IsIndexer: false } } property when IsThis(property.Instance) => property.Property,
                    IParameterReferenceOperation parameter when IsPrimaryConstructorParameter(parameter.Parameter) => parameter.Parameter,
                    _ => null,
                };
                if (member is not null)
                {
                    if (IsOfThisType(member.ContainingType ?? (member.ContainingSymbol as IMethodSymbol)?.ContainingType))
                    {
                        Uses.Add(new MemberUse(member.OriginalDefinition, operation.Syntax, IsWrite(operation), helper, helperCall));
                    }

                    continue;
                }

                if (!followCalls)
                {
                    continue;
                }

                var (target, instance) = operation switch
                {
                    IInvocationOperation invocation => (invocation.TargetMethod, invocation.Instance),
                    IMethodReferenceOperation reference => (reference.Method, reference.Instance),
                    _ => (null, null),
                };
                if (target is { IsStatic: false, IsAbstract: false, MethodKind: MethodKind.Ordinary }
                    && IsThis(instance)
                    && IsOfThisType(target.ContainingType)
                    && !SymbolEqualityComparer.Default.Equals(target.OriginalDefinition, core.OriginalDefinition)
                    && AttributeArguments.Find(target.OriginalDefinition) is null
                    && !_helpers.ContainsKey(target.OriginalDefinition))
                {
                    _helpers.Add(target.OriginalDefinition, operation.Syntax);
                }
            }
        }

        private static bool IsThis(IOperation? instance)
            => instance is IInstanceReferenceOperation { ReferenceKind: InstanceReferenceKind.ContainingTypeInstance };

        private bool IsOfThisType(INamedTypeSymbol? containing)
        {
            if (containing is null)
            {
                return false;
            }

            for (var t = type; t is not null; t = t.BaseType)
            {
                if (SymbolEqualityComparer.Default.Equals(t.OriginalDefinition, containing.OriginalDefinition))
                {
                    return true;
                }
            }

            return false;
        }

        private bool IsPrimaryConstructorParameter(IParameterSymbol parameter)
            => parameter.ContainingSymbol is IMethodSymbol { MethodKind: MethodKind.Constructor } constructor
            && IsOfThisType(constructor.ContainingType)
            && constructor.DeclaringSyntaxReferences.Any(static r => r.GetSyntax() is TypeDeclarationSyntax);

        private static bool IsWrite(IOperation reference)
            => reference.Parent switch
            {
                IAssignmentOperation assignment => assignment.Target == reference,
                IIncrementOrDecrementOperation => true,
                IArgumentOperation { Parameter.RefKind: RefKind.Ref or RefKind.Out } => true,
                _ => false,
            };
    }

    /// <summary>The declaration of a method that has its body (the implementation part of a partial method).</summary>
    internal static MethodDeclarationSyntax? BodyOf(IMethodSymbol method, CancellationToken ct)
    {
        foreach (var reference in (method.PartialImplementationPart ?? method).DeclaringSyntaxReferences)
        {
            if (reference.GetSyntax(ct) is MethodDeclarationSyntax syntax && (syntax.Body is not null || syntax.ExpressionBody is not null))
            {
                return syntax;
            }
        }

        return null;
    }

    private static ITypeSymbol? TypeOf(ISymbol member) => member switch
    {
        IFieldSymbol field => field.Type,
        IPropertySymbol property => property.Type,
        IParameterSymbol parameter => parameter.Type,
        _ => null,
    };

    private static string Describe(MemberUse use)
    {
        var kind = use.Member switch
        {
            IFieldSymbol => "field",
            IPropertySymbol => "property",
            _ => "primary-constructor parameter",
        };
        return use.Helper is null
            ? $"{kind} '{use.Member.Name}'"
            : $"{kind} '{use.Member.Name}' (in '{use.Helper.Name}', which it calls)";
    }

    /// <summary>The instance members the key's bound parts mention (they are part of the key).</summary>
    private static HashSet<ISymbol> MembersInKey(KeyBinding key, CancellationToken ct)
    {
        var members = new HashSet<ISymbol>(SymbolEqualityComparer.Default);
        if (key.SemanticModel is not { } model)
        {
            return members;
        }

        foreach (var part in key.Parts)
        {
            if (part is not BoundKeyPart bound || model.GetOperation(bound.Bound, ct) is not { } operation)
            {
                continue;
            }

            foreach (var node in operation.DescendantsAndSelf())
            {
                switch (node)
                {
                    case IFieldReferenceOperation field:
                        members.Add(field.Field.OriginalDefinition);
                        break;
                    case IPropertyReferenceOperation property:
                        members.Add(property.Property.OriginalDefinition);
                        break;
                    case IParameterReferenceOperation parameter:
                        members.Add(parameter.Parameter.OriginalDefinition);
                        break;
                }
            }
        }

        return members;
    }

    // ---- SF0012: caller-owned ---------------------------------------------------------------------------------

    /// <summary>
    /// Whether a member of this type holds something the caller's scope owns: a disposable that is not a shared one, a
    /// <c>Lazy&lt;T&gt;</c> of one, or (<paramref name="isProvider"/>) an <c>IServiceProvider</c>.
    /// </summary>
    internal static bool IsCallerOwned(ITypeSymbol type, out bool isProvider)
    {
        isProvider = false;
        if (type is INamedTypeSymbol { OriginalDefinition.SpecialType: SpecialType.System_Nullable_T } nullable)
        {
            type = nullable.TypeArguments[0];
        }

        if (type.IsNamed("System", "IServiceProvider") || type.IsNamed("Microsoft.Extensions.DependencyInjection", "IKeyedServiceProvider"))
        {
            isProvider = true;
            return true;
        }

        if (IsLazy(type))
        {
            return IsCallerOwned(((INamedTypeSymbol)type).TypeArguments[0], out isProvider);
        }

        return IsDisposable(type) && !IsSharedDisposable(type);
    }

    /// <summary>Whether the type is (derives from, implements) one of the disposable types made to be shared by every caller.</summary>
    internal static bool IsSharedDisposable(ITypeSymbol type) => Matches(type, SharedDisposables);

    private static bool IsLazy(ITypeSymbol type) => type is INamedTypeSymbol lazy && lazy.IsNamed("System", "Lazy", 1);

    /// <summary>Whether the type implements <c>IDisposable</c> or <c>IAsyncDisposable</c> (or is one, or a type parameter constrained to one).</summary>
    internal static bool IsDisposable(ITypeSymbol type)
    {
        if (type is ITypeParameterSymbol parameter)
        {
            return parameter.ConstraintTypes.Any(IsDisposable);
        }

        static bool IsDisposableInterface(ITypeSymbol t) => t.IsNamed("System", "IDisposable") || t.IsNamed("System", "IAsyncDisposable");
        return IsDisposableInterface(type) || type.AllInterfaces.Any(IsDisposableInterface);
    }

    // ---- SF0013: state that differs between callers --------------------------------------------------------

    /// <summary>
    /// Whether the type holds the identity of a caller: one of <see cref="IdentityTypes"/> (or derived from one), or a type
    /// whose name, split into words (<c>ITenantContext</c> → Tenant, Context), has an identity word (Tenant, User, Principal,
    /// Identity, Caller, Session, Claims) that is the last word, is followed only by holder words (Context, Accessor,
    /// Provider, Info, Information, Details, Data, Resolver, Holder, State), or follows <c>Current</c>. So
    /// <c>ICurrentUser</c>, <c>ITenantContext</c>, <c>IMultiTenantContextAccessor</c>, <c>ICurrentUserService</c>,
    /// <c>ApplicationUser</c> do; <c>IUserRepository</c>, <c>UserManager</c>, <c>ITenantConnectionFactory</c>,
    /// <c>IdentityOptions</c>, <c>IUserService</c> do not. Only the type's own name counts, not its type arguments.
    /// </summary>
    internal static bool CarriesCallerIdentity(ITypeSymbol type)
    {
        if (type is INamedTypeSymbol { OriginalDefinition.SpecialType: SpecialType.System_Nullable_T } nullable)
        {
            type = nullable.TypeArguments[0];
        }

        if (type is not INamedTypeSymbol named || named.SpecialType != SpecialType.None)
        {
            return false;
        }

        if (Matches(named, IdentityTypes))
        {
            return true;
        }

        var name = named.Name;
        if (named.TypeKind == TypeKind.Interface && name.Length > 1 && name[0] == 'I' && char.IsUpper(name[1]))
        {
            name = name.Substring(1);
        }

        var words = SplitWords(name);
        var afterCurrent = false;
        for (var i = 0; i < words.Count; i++)
        {
            if (words[i] == "Current")
            {
                afterCurrent = true;
                continue;
            }

            if (!IdentityWords.Contains(words[i]))
            {
                continue;
            }

            if (afterCurrent)
            {
                return true;
            }

            var onlyHolders = true;
            for (var j = i + 1; j < words.Count && onlyHolders; j++)
            {
                onlyHolders = HolderWords.Contains(words[j]) || IdentityWords.Contains(words[j]);
            }

            if (onlyHolders)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>PascalCase words: <c>MultiTenantContextAccessor</c> → Multi, Tenant, Context, Accessor; <c>HTTPUser</c> → HTTP, User.</summary>
    internal static List<string> SplitWords(string name)
    {
        var words = new List<string>();
        var start = 0;
        for (var i = 1; i < name.Length; i++)
        {
            var boundary = char.IsUpper(name[i])
                && (char.IsLower(name[i - 1]) || char.IsDigit(name[i - 1]) || (i + 1 < name.Length && char.IsLower(name[i + 1])));
            if (boundary || name[i] == '_')
            {
                if (i > start)
                {
                    words.Add(name.Substring(start, i - start).Trim('_'));
                }

                start = i;
            }
        }

        if (start < name.Length)
        {
            words.Add(name.Substring(start).Trim('_'));
        }

        words.RemoveAll(static w => w.Length == 0);
        return words;
    }

    /// <summary>Mutable state and the member of its type that writes it after construction.</summary>
    internal sealed class MutableState(string writer)
    {
        /// <summary>The member that writes it.</summary>
        public string Writer { get; } = writer;
    }

    /// <summary>
    /// For a field that is not <c>readonly</c>, or a property with a <c>set</c> accessor (not <c>init</c>): the member of its
    /// type (in source) that writes it (assignment, compound assignment, <c>++</c>/<c>--</c>, <c>ref</c>/<c>out</c> argument)
    /// outside instance constructors, <c>init</c> accessors and <c>Dispose</c>/<c>DisposeAsync</c>. State the flight itself
    /// writes (the core or a method it calls) is the flight's own (a cache of the app's own token, say): not reported. A
    /// public setter or field that only code outside the type writes is not reported either: a singleton's configuration
    /// property set once at start-up looks the same as a scoped service's property set per request, and only the first is
    /// common (docs/diagnostics/SF0013.md, the corpus's one false negative).
    /// </summary>
    private static MutableState? DescribeMutableState(ISymbol member, Walker walker, Compilation compilation, CancellationToken ct)
    {
        switch (member)
        {
            case IFieldSymbol field when !field.IsReadOnly && !field.IsConst:
            case IPropertySymbol { SetMethod.IsInitOnly: false }:
                break;
            default:
                return null;
        }

        if (walker.Uses.Any(u => u.IsWrite && SymbolEqualityComparer.Default.Equals(u.Member, member)))
        {
            return null;
        }

        foreach (var reference in member.ContainingType.DeclaringSyntaxReferences)
        {
            if (reference.GetSyntax(ct) is not TypeDeclarationSyntax declaration)
            {
                continue;
            }

            SemanticModel? model = null;
            foreach (var identifier in declaration.DescendantNodes().OfType<IdentifierNameSyntax>())
            {
                if (identifier.Identifier.ValueText != member.Name || !IsWritePosition(identifier) || WriterOf(identifier) is not { } writer)
                {
                    continue;
                }

#pragma warning disable RS1030 // Do not invoke Compilation.GetSemanticModel() method within a diagnostic analyzer
                model ??= compilation.GetSemanticModel(declaration.SyntaxTree);
#pragma warning restore RS1030
                if (model.GetSymbolInfo(identifier, ct).Symbol is not { } symbol
                    || !SymbolEqualityComparer.Default.Equals(symbol.OriginalDefinition, member)
                    || IsInFlight(model.GetEnclosingSymbol(identifier.SpanStart, ct), walker))
                {
                    continue;
                }

                return new MutableState(writer);
            }
        }

        return null;
    }

    private static bool IsInFlight(ISymbol? enclosing, Walker walker)
    {
        while (enclosing is IMethodSymbol { MethodKind: MethodKind.AnonymousFunction or MethodKind.LocalFunction })
        {
            enclosing = enclosing.ContainingSymbol;
        }

        return enclosing is IMethodSymbol method && walker.FlightMethods.Contains(method.OriginalDefinition);
    }

    private static bool IsWritePosition(IdentifierNameSyntax identifier)
    {
        SyntaxNode node = identifier;
        if (node.Parent is MemberAccessExpressionSyntax access && access.Name == node && access.Expression is ThisExpressionSyntax)
        {
            node = access;
        }

        return node.Parent switch
        {
            AssignmentExpressionSyntax assignment => assignment.Left == node,
            PrefixUnaryExpressionSyntax prefix => prefix.IsKind(SyntaxKind.PreIncrementExpression) || prefix.IsKind(SyntaxKind.PreDecrementExpression),
            PostfixUnaryExpressionSyntax postfix => postfix.IsKind(SyntaxKind.PostIncrementExpression) || postfix.IsKind(SyntaxKind.PostDecrementExpression),
            ArgumentSyntax argument => argument.RefKindKeyword.IsKind(SyntaxKind.RefKeyword) || argument.RefKindKeyword.IsKind(SyntaxKind.OutKeyword),
            _ => false,
        };
    }

    /// <summary>The name of the member a write is in, or null when the write is part of construction or disposal.</summary>
    private static string? WriterOf(SyntaxNode node)
    {
        foreach (var ancestor in node.Ancestors())
        {
            switch (ancestor)
            {
                case ConstructorDeclarationSyntax:
                case AccessorDeclarationSyntax accessor when accessor.IsKind(SyntaxKind.InitAccessorDeclaration):
                    return null;
                case AccessorDeclarationSyntax accessor when accessor.Parent?.Parent is PropertyDeclarationSyntax property:
                    return property.Identifier.ValueText;
                case PropertyDeclarationSyntax property:
                    return property.Initializer is not null && property.Initializer.Span.Contains(node.Span) ? null : property.Identifier.ValueText;
                case MethodDeclarationSyntax method:
                    return method.Identifier.ValueText is "Dispose" or "DisposeAsync" ? null : method.Identifier.ValueText;
                case BaseFieldDeclarationSyntax:
                case TypeDeclarationSyntax:
                    return null;
            }
        }

        return null;
    }

    // ---- type lists ------------------------------------------------------------------------------------------

    private static bool Matches(ITypeSymbol type, (string Namespace, string Name, int Arity)[] list)
    {
        foreach (var (ns, name, arity) in list)
        {
            if (type.IsNamed(ns, name, arity) || type.AllInterfaces.Any(i => i.IsNamed(ns, name, arity)))
            {
                return true;
            }

            for (var baseType = type.BaseType; baseType is not null; baseType = baseType.BaseType)
            {
                if (baseType.IsNamed(ns, name, arity))
                {
                    return true;
                }
            }
        }

        return false;
    }

    /// <summary>The full names listed in <see cref="SharedTypesOption"/> for the tree.</summary>
    internal static ImmutableArray<string> SharedTypes(AnalyzerOptions options, SyntaxTree tree)
    {
        if (!options.AnalyzerConfigOptionsProvider.GetOptions(tree).TryGetValue(SharedTypesOption, out var value) || string.IsNullOrWhiteSpace(value))
        {
            return ImmutableArray<string>.Empty;
        }

        return value.Split([',', ';'], StringSplitOptions.RemoveEmptyEntries)
            .Select(static s => s.Trim())
            .Where(static s => s.Length > 0)
            .ToImmutableArray();
    }

    /// <summary>Whether the type, a base type or an interface of it is listed in <see cref="SharedTypesOption"/> (full name, no type arguments).</summary>
    internal static bool IsListed(ITypeSymbol type, ImmutableArray<string> shared)
    {
        if (shared.IsEmpty)
        {
            return false;
        }

        if (type is INamedTypeSymbol { OriginalDefinition.SpecialType: SpecialType.System_Nullable_T } nullable)
        {
            type = nullable.TypeArguments[0];
        }

        static string FullName(ITypeSymbol t)
            => t.OriginalDefinition.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat
                .WithGlobalNamespaceStyle(SymbolDisplayGlobalNamespaceStyle.Omitted)
                .WithGenericsOptions(SymbolDisplayGenericsOptions.None));

        for (var t = type; t is not null; t = t.BaseType)
        {
            if (shared.Contains(FullName(t)))
            {
                return true;
            }
        }

        return type.AllInterfaces.Any(i => shared.Contains(FullName(i)));
    }
}
