using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using System.Collections.Immutable;
using SingleFlight.Generator.Diagnostics;
using SingleFlight.Generator.Model;

namespace SingleFlight.Generator.Parsing;

/// <summary>
/// The stub of a method the parser refused: when one is written (the error's id, and a declaration that a generated
/// part can implement with a signature a stub can repeat), and the parts of the signature a stub repeats that an
/// implementation never has.
/// </summary>
internal static partial class ModelBuilder
{
    /// <summary>
    /// Whether the signature names a pointer or function pointer type: repeating it needs an <c>unsafe</c> context, which
    /// the user's <c>unsafe</c> on another part of the type does not give the generated part (the stub's part says it).
    /// </summary>
    private static bool HasPointer(IMethodSymbol method)
        => Symbols.ContainsPointer(method.ReturnType) || method.Parameters.Any(static p => Symbols.ContainsPointer(p.Type));

    /// <summary>
    /// Whether a method the parser refused gets a stub: when the error reported on it is SF0002, SF0003, SF0004, SF0016 or SF0017 and its
    /// declaration can still be implemented. Not for SF0001 (nothing to implement), nor where the compiler already
    /// reports the problem (no error of ours), nor for an explicit interface implementation, a type the generator cannot
    /// extend, <c>__arglist</c>, or a shape refused before the core method was looked for.
    /// </summary>
    private static bool IsStubbed(string? error, IMethodSymbol method, MethodDeclarationSyntax declaration)
    {
        if (error is DiagnosticDescriptors.CoreMethodId or DiagnosticDescriptors.InvalidKeyFromId)
        {
            return true;
        }

        // The batch rules run after the shape: a method they refuse has a declaration the shape rules accepted.
        return error is DiagnosticDescriptors.UnsupportedShapeId or DiagnosticDescriptors.BatchCoreId or DiagnosticDescriptors.BatchKeyId
            && CanImplement(method, declaration);
    }

    /// <summary>
    /// Whether a generated part can implement a declaration that SF0003 refused: not an explicit interface implementation
    /// (the compiler reports CS0754 itself), not in a type the generator cannot extend, not <c>__arglist</c>, not with an
    /// undefined <c>Scope</c> (an option value SF0003 refuses still gets its stub). Refused signatures (ref structs, pointers, a <c>ref</c> return, <c>allows ref struct</c>)
    /// get a stub that repeats them (<see cref="StubModel"/>).
    /// </summary>
    private static bool CanImplement(IMethodSymbol method, MethodDeclarationSyntax declaration)
    {
        if (method.IsVararg
            || declaration.ExplicitInterfaceSpecifier is not null || !method.ExplicitInterfaceImplementations.IsEmpty
            || (AttributeArguments.Read(method, declaration.SyntaxTree.Options, out var problem) is null && problem is not { Stub: true }))
        {
            return false;
        }

        for (SyntaxNode? node = declaration.Parent; node is not null; node = node.Parent)
        {
            if (node is TypeDeclarationSyntax type
                && (type is InterfaceDeclarationSyntax || type.Modifiers.Any(SyntaxKind.FileKeyword) || type.Modifiers.Any(SyntaxKind.RefKeyword)))
            {
                return false;
            }
        }

        for (var type = method.ContainingType; type is not null; type = type.ContainingType)
        {
            if (type.TypeKind is not (TypeKind.Class or TypeKind.Struct) || type.IsRefLikeType)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// Whether a stub can repeat the signature without an error of its own. The shape checks stop at the first refusal, so
    /// what they did not reach yet is checked here: types that do not bind, a type parameter named like an outer type's
    /// (CS0693), pointers in a compilation without <c>AllowUnsafeBlocks</c> (the user's own code has CS0227 then).
    /// </summary>
    private static bool CanRepeatSignature(IMethodSymbol method, Compilation compilation)
    {
        if (Symbols.ContainsError(method.ReturnType) || method.Parameters.Any(static p => Symbols.ContainsError(p.Type))
            || method.TypeParameters.Any(static t => t.ConstraintTypes.Any(Symbols.ContainsError)))
        {
            return false;
        }

        for (var type = method.ContainingType; type is not null; type = type.ContainingType)
        {
            if (type.TypeParameters.Any(t => method.TypeParameters.Any(m => m.Name == t.Name)))
            {
                return false;
            }
        }

        return !HasPointer(method) || compilation.Options is CSharpCompilationOptions { AllowUnsafe: true };
    }

    /// <summary>
    /// The stub's model: the parts of the signature that a generated method never has, because the shape is refused for
    /// one: a <c>ref</c> return, <c>allows ref struct</c>, <c>unsafe</c> on the type part that repeats a pointer.
    /// </summary>
    private static MethodModel StubModel(MethodModel model, IMethodSymbol method, MethodDeclarationSyntax declaration)
    {
        var signature = model.Signature;
        var returnType = method.ReturnsByRefReadonly ? "ref readonly " + signature.ReturnType
            : method.ReturnsByRef ? "ref " + signature.ReturnType
            : signature.ReturnType;

        // `allows ref struct` (C# 13) has no symbol API in Roslyn 4.8: read from the declaration, as the parser does.
        var constraints = signature.ConstraintClauses.ToList();
        if (!method.IsOverride)
        {
            foreach (var clause in declaration.ConstraintClauses)
            {
                if (!clause.Constraints.Any(static c => c.ToString().StartsWith("allows", StringComparison.Ordinal)))
                {
                    continue;
                }

                var head = "where " + Symbols.EscapeIdentifier(clause.Name.Identifier.ValueText) + " :";
                var index = constraints.FindIndex(c => c.StartsWith(head + " ", StringComparison.Ordinal));
                if (index >= 0)
                {
                    constraints[index] += ", allows ref struct";
                }
                else
                {
                    constraints.Add(head + " allows ref struct");
                }
            }
        }

        var types = model.Hierarchy.ContainingTypes;
        if (HasPointer(method))
        {
            var list = types.ToList();
            list[list.Count - 1] = list[list.Count - 1] with { Modifiers = "unsafe " };
            types = list.ToEquatableArray();
        }

        return model with
        {
            Signature = signature with { ReturnType = returnType, ConstraintClauses = constraints.ToEquatableArray() },
            Hierarchy = model.Hierarchy with { ContainingTypes = types },
        };
    }
}
